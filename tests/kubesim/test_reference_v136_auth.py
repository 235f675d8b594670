"""Authentication, RBAC and the reviews, replayed from the v1.36 captures E01-E25 in capture
order (README surprises 7-11, 17): one cluster, the same namespaces, ServiceAccount, Role and
RoleBinding, and a token minted for alice as E05 did."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import (
    HttpClient,
    Response,
    assert_same_shape,
    assert_same_status,
    reference_v136,
    replay_v136,
)

ALICE = "system:serviceaccount:team-a:alice"
# The captures after E02 in capture order, with whose token each was sent.
SEQUENCE_V136 = (
    *((name, "admin") for name in ("E03-", "E04-", "E05-", "E06-", "E07-", "E08-", "E09-")),
    *((name, "admin") for name in ("E10-", "E11-", "E12-", "E13-", "E14-", "E15-")),
    *((name, "alice") for name in ("E16-", "E17-", "E17b-", "E18-", "E19-", "E20-", "E21-")),
    *((name, "admin") for name in ("E22-", "E23-", "E24-", "E25-")),
)


def _claims(token: str) -> Any:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _created(response: Response, want: Any) -> Any:
    assert response.status == want["response"]["statusCode"], response.json
    body = response.json
    expected = want["response"]["body"]
    expected.get("metadata", {}).pop("managedFields", None)  # not recorded (deviation d)
    assert_same_shape(body, expected)
    return body


@pytest.fixture(scope="module")
def steps() -> Iterator[dict[str, Any]]:
    """The capture sequence E01-E25 run once; each test checks one step's answer."""
    with EmbeddedCluster(controllers=False) as cluster:
        admin = HttpClient(cluster.url, token=cluster.admin_token)
        anonymous = HttpClient(cluster.url)
        clients = {"admin": admin}
        answers: dict[str, Any] = {"cluster": cluster}
        try:
            answers["E01"] = replay_v136(anonymous, "E01-")
            answers["E02"] = replay_v136(admin, "E02-", headers=_bearer("not-a-real-token"))
            for name, who in SEQUENCE_V136:
                if name == "E06-":  # the token under review is the one E05 just minted
                    spec = {"token": answers["token"]}
                    body = {**reference_v136(name)["request"]["body"], "spec": spec}
                    answers["E06"] = replay_v136(admin, name, body=body)
                else:
                    answers[name[:-1]] = replay_v136(clients[who], name)
                if name == "E05-":
                    answers["token"] = answers["E05"][0].json["status"]["token"]
                    clients["alice"] = HttpClient(cluster.url, token=answers["token"])
            yield answers
        finally:
            for client in (anonymous, *clients.values()):
                client.close()


def test_no_credentials_is_anonymous_and_forbidden(steps: dict[str, Any]) -> None:
    response, captured = steps["E01"]
    assert_same_status(response, captured)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_invalid_token_is_unauthorized(steps: dict[str, Any]) -> None:
    response, captured = steps["E02"]
    assert_same_status(response, captured)
    assert response.json == captured["response"]["body"]
    assert "x-content-type-options" not in response.headers


def test_namespace_and_service_account_creates(steps: dict[str, Any]) -> None:
    namespace = _created(*steps["E03"])
    assert namespace["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    account = _created(*steps["E04"])
    assert "secrets" not in account
    after = _created(*steps["E25"])
    assert after == account  # the TokenRequest changed nothing


def test_token_request_mints_a_jwt_like_kube_apiserver(steps: dict[str, Any]) -> None:
    response, captured = steps["E05"]
    body = _created(response, captured)
    account = steps["E04"][0].json["metadata"]
    want = captured["response"]["body"]
    assert body["spec"] == want["spec"]
    assert {k: body["metadata"][k] for k in ("name", "namespace", "uid", "creationTimestamp")} == {
        k: account[k] for k in ("name", "namespace", "uid", "creationTimestamp")
    }
    header = json.loads(base64.urlsafe_b64decode(body["status"]["token"].split(".")[0] + "=="))
    assert set(header) == {"alg", "kid"} and header["alg"] == "RS256"
    claims = _claims(body["status"]["token"])
    assert set(claims) == set(_claims(want["status"]["token"]))
    assert claims["exp"] == claims["iat"] + 3600 == claims["nbf"] + 3600
    assert claims["aud"] == ["https://kubernetes.default.svc"]
    assert claims["iss"] == "https://kubernetes.default.svc"
    assert claims["sub"] == ALICE
    assert claims["kubernetes.io"] == {
        "namespace": "team-a",
        "serviceaccount": {"name": "alice", "uid": account["uid"]},
    }


def test_token_reviews(steps: dict[str, Any]) -> None:
    response, captured = steps["E06"]
    body = _created(response, captured)
    account = steps["E04"][0].json["metadata"]
    jti = _claims(steps["token"])["jti"]
    want = captured["response"]["body"]["status"]
    assert body["status"] == {
        **want,
        "user": {
            **want["user"],
            "uid": account["uid"],
            "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={jti}"]},
        },
    }
    garbage, captured = steps["E07"]
    assert _created(garbage, captured)["status"] == captured["response"]["body"]["status"]


@pytest.mark.parametrize("name", ["E08", "E11", "E12", "E13", "E14", "E15", "E16", "E17"])
def test_access_reviews_answer_as_rbac_does(steps: dict[str, Any], name: str) -> None:
    response, captured = steps[name]
    body = _created(response, captured)
    assert body["spec"] == captured["response"]["body"]["spec"]
    assert body["status"] == captured["response"]["body"]["status"]


def test_role_and_binding_creates(steps: dict[str, Any]) -> None:
    for name in ("E09", "E10"):
        response, captured = steps[name]
        body = _created(response, captured)
        want = captured["response"]["body"]
        assert {k: v for k, v in body.items() if k != "metadata"} == {
            k: v for k, v in want.items() if k != "metadata"
        }


def test_self_subject_review_says_who_the_token_is(steps: dict[str, Any]) -> None:
    response, captured = steps["E17b"]
    body = _created(response, captured)
    assert body["status"]["userInfo"] == steps["E06"][0].json["status"]["user"]


def test_the_service_account_token_does_what_the_binding_allows(steps: dict[str, Any]) -> None:
    response, captured = steps["E18"]
    # The Job's defaults are B1's to check; here: alice's create went through, in team-a.
    assert response.status == captured["response"]["statusCode"] == 201, response.json
    assert response.json["metadata"]["namespace"] == "team-a"
    for name in ("E19", "E20", "E21"):
        response, captured = steps[name]
        assert_same_status(response, captured)
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["E22", "E23", "E24"])
def test_discovery_of_the_auth_groups(steps: dict[str, Any], name: str) -> None:
    response, captured = steps[name]
    assert response.status == 200
    assert response.json == captured["response"]["body"]
