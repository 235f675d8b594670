"""Authentication and RBAC beyond the captures: what a ServiceAccount token may do through the
real ``kubernetes`` client, token expiry and audiences, ClusterRoleBindings, resourceNames,
non-resource URLs, static users from a token file, and RBAC object validation."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from jobscheduler.clock import FakeClock
from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, job_body

RBAC = "/apis/rbac.authorization.k8s.io/v1"
JOB_RUNNER = {
    "metadata": {"name": "job-runner"},
    "rules": [
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "list"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ],
}


def _binding(name: str, role_kind: str, role: str, *subjects: dict[str, str]) -> Any:
    return {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": list(subjects),
    }


def _token(admin: HttpClient, namespace: str, account: str, **spec: Any) -> str:
    response = admin.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
    )
    assert response.status == 201, response.json
    return str(response.json["status"]["token"])


def _review(admin: HttpClient, token: str, audiences: list[str] | None = None) -> Any:
    spec: dict[str, Any] = {"token": token}
    if audiences:
        spec["audiences"] = audiences
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
    response = admin.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews", body=body)
    assert response.status == 201, response.json
    return response.json["status"]


def _setup_alice(cluster: EmbeddedCluster, admin: HttpClient) -> None:
    for namespace in ("team-a", "team-b"):
        cluster.api.create("namespaces", None, {"metadata": {"name": namespace}})
    cluster.api.create("serviceaccounts", "team-a", {"metadata": {"name": "alice"}})
    assert admin.request("POST", f"{RBAC}/namespaces/team-a/roles", body=JOB_RUNNER).status == 201
    binding = _binding(
        "alice-job-runner",
        "Role",
        "job-runner",
        {"kind": "ServiceAccount", "name": "alice", "namespace": "team-a"},
    )
    created = admin.request("POST", f"{RBAC}/namespaces/team-a/rolebindings", body=binding)
    assert created.status == 201, created.json


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.datetime(2026, 12, 1, 22, 0, tzinfo=datetime.UTC))


@pytest.fixture
def cluster(clock: FakeClock) -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(controllers=False, clock=clock) as started:
        yield started


@pytest.fixture
def admin(cluster: EmbeddedCluster) -> Iterator[HttpClient]:
    client = HttpClient(cluster.url, token=cluster.admin_token)
    try:
        _setup_alice(cluster, client)
        yield client
    finally:
        client.close()


def test_kubernetes_client_with_a_service_account_token_does_what_the_binding_allows(
    cluster: EmbeddedCluster, admin: HttpClient
) -> None:
    configuration = kubernetes.client.Configuration()
    configuration.host = cluster.url
    configuration.api_key = {"authorization": _token(admin, "team-a", "alice")}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    with kubernetes.client.ApiClient(configuration) as client:
        batch, core = kubernetes.client.BatchV1Api(client), kubernetes.client.CoreV1Api(client)
        batch.create_namespaced_job("team-a", job_body("allowed"))
        names = [job.metadata.name for job in batch.list_namespaced_job("team-a").items]
        assert names == ["allowed"]
        denied = [
            lambda: batch.create_namespaced_job("team-b", job_body("elsewhere")),
            batch.list_job_for_all_namespaces,
            lambda: batch.delete_namespaced_job("allowed", "team-a"),  # delete not granted
            lambda: core.read_namespaced_pod("nope", "team-a"),  # only pods/log is
        ]
        for call in denied:
            with pytest.raises(ApiException) as raised:
                call()
            assert raised.value.status == 403
    assert cluster.api.get("jobs", "team-a", "allowed")["metadata"]["name"] == "allowed"
    with pytest.raises(Exception, match="not found"):
        cluster.api.get("jobs", "team-b", "elsewhere")


def test_tokens_expire_on_the_cluster_clock(
    cluster: EmbeddedCluster, admin: HttpClient, clock: FakeClock
) -> None:
    token = _token(admin, "team-a", "alice", expirationSeconds=600)
    alice = HttpClient(cluster.url, token=token)
    try:
        assert alice.request("GET", "/apis/batch/v1/namespaces/team-a/jobs").status == 200
        clock.advance(601)
        assert alice.request("GET", "/apis/batch/v1/namespaces/team-a/jobs").status == 401
    finally:
        alice.close()
    assert _review(admin, token) == {"user": {}, "error": "service account token has expired"}


def test_short_token_lifetimes_are_invalid(admin: HttpClient) -> None:
    response = admin.request(
        "POST",
        "/api/v1/namespaces/team-a/serviceaccounts/alice/token",
        body={"spec": {"expirationSeconds": 60}},
    )
    assert response.status == 422
    assert response.json["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: 60: may not specify a duration less than 10 minutes",
            "field": "spec.expirationSeconds",
        }
    ]
    missing = admin.request("POST", "/api/v1/namespaces/team-a/serviceaccounts/bob/token", body={})
    assert (missing.status, missing.json["message"]) == (404, 'serviceaccounts "bob" not found')


def test_audiences_are_honoured(cluster: EmbeddedCluster, admin: HttpClient) -> None:
    token = _token(admin, "team-a", "alice", audiences=["jobscheduler"])
    alice = HttpClient(cluster.url, token=token)
    try:  # not for the API server
        assert alice.request("GET", "/apis/batch/v1/namespaces/team-a/jobs").status == 401
    finally:
        alice.close()
    assert _review(admin, token) == {
        "user": {},
        "error": 'token audiences ["jobscheduler"] is invalid for the target audiences '
        '["https://kubernetes.default.svc"]',
    }
    accepted = _review(admin, token, ["jobscheduler", "other"])
    assert (accepted["authenticated"], accepted["audiences"]) == (True, ["jobscheduler"])
    assert accepted["user"]["username"] == "system:serviceaccount:team-a:alice"


def test_a_token_dies_with_its_service_account(cluster: EmbeddedCluster, admin: HttpClient) -> None:
    token = _token(admin, "team-a", "alice")
    cluster.api.delete("serviceaccounts", "team-a", "alice")
    assert _review(admin, token)["error"] == 'serviceaccounts "alice" not found'
    cluster.api.create("serviceaccounts", "team-a", {"metadata": {"name": "alice"}})
    assert _review(admin, token)["error"].startswith("service account UID (")


def _sar(admin: HttpClient, user: str, groups: list[str], **attributes: str) -> Any:
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
    }
    response = admin.request(
        "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body=body
    )
    assert response.status == 201, response.json
    return response.json["status"]


def test_cluster_role_bindings_resource_names_and_wildcards(admin: HttpClient) -> None:
    reader = {
        "metadata": {"name": "one-job-reader"},
        "rules": [
            {
                "apiGroups": ["batch"],
                "resources": ["jobs"],
                "verbs": ["get"],
                "resourceNames": ["a"],
            },
            {"apiGroups": ["*"], "resources": ["*/log"], "verbs": ["*"]},
        ],
    }
    assert admin.request("POST", f"{RBAC}/clusterroles", body=reader).status == 201
    binding = _binding(
        "readers", "ClusterRole", "one-job-reader", {"kind": "Group", "name": "readers"}
    )
    created = admin.request("POST", f"{RBAC}/clusterrolebindings", body=binding)
    assert created.status == 201
    assert created.json["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"  # defaulted
    allowed = _sar(
        admin,
        "bob",
        ["readers"],
        namespace="x",
        verb="get",
        group="batch",
        resource="jobs",
        name="a",
    )
    assert allowed == {
        "allowed": True,
        "reason": 'RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole '
        '"one-job-reader" to Group "readers"',
    }
    assert _sar(
        admin, "bob", ["readers"], verb="get", group="batch", resource="jobs", name="b"
    ) == {"allowed": False}
    assert _sar(
        admin, "bob", ["readers"], verb="get", resource="pods", subresource="log", namespace="x"
    )["allowed"]
    assert _sar(
        admin, "bob", ["other"], verb="get", resource="pods", subresource="log", namespace="x"
    ) == {"allowed": False}


def test_static_token_file_users_and_non_resource_urls(tmp_path: Path) -> None:
    token_file = tmp_path / "tokens.csv"
    token_file.write_text('carol-token,carol,carol-uid,"team-leads,readers"\n')
    with EmbeddedCluster(controllers=False, token_file=token_file) as cluster:
        carol = HttpClient(cluster.url, token="carol-token")
        anonymous = HttpClient(cluster.url)
        try:
            whoami = carol.request(
                "POST",
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
            )
            assert whoami.json["status"]["userInfo"] == {
                "username": "carol",
                "uid": "carol-uid",
                "groups": ["team-leads", "readers", "system:authenticated"],
            }
            # system:discovery lets authenticated users read discovery, not the anonymous.
            assert carol.request("GET", "/apis").status == 200
            assert anonymous.request("GET", "/apis").status == 403
            assert anonymous.request("GET", "/version").status == 200  # public-info-viewer
            forbidden = carol.request("GET", "/metrics")
            assert forbidden.status == 403
            assert forbidden.json["message"] == 'forbidden: User "carol" cannot get path "/metrics"'
            assert forbidden.json["details"] == {}
        finally:
            carol.close()
            anonymous.close()


def test_rbac_objects_are_validated(admin: HttpClient) -> None:
    bad_role = {"metadata": {"name": "bad"}, "rules": [{"nonResourceURLs": ["/x"], "verbs": []}]}
    response = admin.request("POST", f"{RBAC}/namespaces/team-a/roles", body=bad_role)
    assert response.status == 422
    assert [cause["field"] for cause in response.json["details"]["causes"]] == [
        "rules[0].verbs",
        "rules[0].nonResourceURLs",
    ]
    bad_binding = _binding("bad", "Role", "job-runner", {"kind": "Robot", "name": "r2"})
    response = admin.request("POST", f"{RBAC}/clusterrolebindings", body=bad_binding)
    assert response.status == 422
    assert [cause["field"] for cause in response.json["details"]["causes"]] == [
        "roleRef.kind",
        "subjects[0].kind",
    ]
    path = f"{RBAC}/namespaces/team-a/rolebindings/alice-job-runner"
    changed = admin.request(
        "PATCH",
        path,
        body={"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}},
        content_type="application/merge-patch+json",
    )
    assert changed.status == 422
    assert changed.json["details"]["causes"][0]["field"] == "roleRef"
