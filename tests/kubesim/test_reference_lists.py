"""LIST and WATCH against the captured kube-apiserver exchanges (k8s-reference 3x, 9x)."""

from __future__ import annotations

import base64
import json

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, assert_same_status, job_body, reference, replay

JOBS = "/apis/batch/v1/namespaces/default/jobs"


def _seed(cluster: EmbeddedCluster) -> None:
    """The jobs of the reference's list captures: three labelled, others after them."""
    api = cluster.api
    api.create("namespaces", None, {"metadata": {"name": "ref-other"}})
    for name in ("ref-list-a", "ref-list-b", "ref-list-c"):
        api.create("jobs", "default", job_body(name, {"suite": "list"}))
    api.create("jobs", "default", job_body("ref-minimal", {"suite": "ref"}))
    api.create("jobs", "ref-other", job_body("ref-other-job", {"suite": "list"}))


def _token(value: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    )
    return decoded


def test_paging_with_a_selector_follows_upstream_tokens(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed(bare_cluster)
    names: list[str] = []
    query = "labelSelector=suite=list&limit=1"
    page, captured = replay(http, "30-job-list-labelselector-limit1")
    page = page.json
    first_rv = page["metadata"]["resourceVersion"]
    want = captured["response"]["body"]
    assert set(page["metadata"]) == set(want["metadata"])  # no remainingItemCount (30)
    token = _token(page["metadata"]["continue"])
    want_token = _token(want["metadata"]["continue"])
    assert token == {**want_token, "rv": int(first_rv)}
    assert token == {"v": "meta.k8s.io/v1", "rv": int(first_rv), "start": "ref-list-a\u0000"}
    while True:
        names += [item["metadata"]["name"] for item in page["items"]]
        assert page["metadata"]["resourceVersion"] == first_rv
        if "continue" not in page["metadata"]:
            break
        page = http.request("GET", JOBS, f"{query}&continue={page['metadata']['continue']}").json
    # Page 3 still had a token (non-matching keys follow), page 4 is empty (32, 33).
    assert names == ["ref-list-a", "ref-list-b", "ref-list-c"]
    assert page["items"] == []


def test_unselected_paging_reports_remaining_items(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed(bare_cluster)
    page = http.request("GET", JOBS, "limit=1").json
    assert page["metadata"]["remainingItemCount"] == 3
    assert [item["metadata"]["name"] for item in page["items"]] == ["ref-list-a"]
    assert "kind" not in page["items"][0]  # list items carry no type meta
    assert page["kind"] == "JobList" and page["apiVersion"] == "batch/v1"


def test_bad_continue_tokens(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed(bare_cluster)
    for name in ("34-job-list-garbage-continue", "34b-job-list-wrong-version-continue"):
        response, captured = replay(http, name)
        assert_same_status(response, captured)
    token = http.request("GET", JOBS, "labelSelector=suite=list&limit=1").json["metadata"][
        "continue"
    ]
    response = http.request(
        "GET", JOBS, f"labelSelector=suite=list&limit=1&resourceVersion=5&continue={token}"
    )
    assert_same_status(response, reference("34c-job-list-continue-with-resourceversion"))


def test_stale_continue_token_is_expired_with_an_inconsistent_token(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed(bare_cluster)
    token = http.request("GET", JOBS, "labelSelector=suite=list&limit=1").json["metadata"][
        "continue"
    ]
    bare_cluster.api.create("jobs", "default", job_body("ref-list-d", {"suite": "list"}))
    bare_cluster.faults.expire_watches("jobs")  # compaction
    expired = http.request(
        "GET", JOBS, f"labelSelector=suite=list&limit=1&resourceVersion=0&continue={token}"
    )
    assert_same_status(expired, reference("34d-job-list-stale-continue"))
    fresh = expired.json["metadata"]["continue"]
    assert _token(fresh)["rv"] == -1
    rest: list[str] = []
    query = f"labelSelector=suite=list&limit=1&continue={fresh}"
    while True:
        page = http.request("GET", JOBS, query)
        assert page.status == 200
        rest += [item["metadata"]["name"] for item in page.json["items"]]
        if "continue" not in page.json["metadata"]:
            break
        query = f"labelSelector=suite=list&limit=1&continue={page.json['metadata']['continue']}"
    assert rest == ["ref-list-b", "ref-list-c", "ref-list-d"]  # the newer Job shows up


def test_field_and_label_selectors(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed(bare_cluster)
    by_name = http.request("GET", JOBS, "fieldSelector=metadata.name=ref-list-b").json
    assert [item["metadata"]["name"] for item in by_name["items"]] == ["ref-list-b"]
    succeeded = http.request("GET", JOBS, "fieldSelector=status.successful=0").json
    assert len(succeeded["items"]) == 4
    for name in ("37-job-list-fieldselector-unsupported", "37b-job-list-bad-labelselector"):
        response, captured = replay(http, name)
        assert_same_status(response, captured)
    cases = {
        "suite in (list,ref)": 4,
        "suite notin (list)": 1,
        "suite!=list": 1,
        "suite==ref": 1,
        "suite": 4,
        "!suite": 0,
        "suite=list,!tier": 3,
    }
    for selector, count in cases.items():
        page = http.request("GET", JOBS, f"labelSelector={selector}")
        assert page.status == 200, selector
        assert len(page.json["items"]) == count, selector


def test_all_namespaces_list(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed(bare_cluster)
    response, captured = replay(http, "39-job-list-all-namespaces")
    names = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in response.json["items"]]
    want = [
        (i["metadata"]["namespace"], i["metadata"]["name"])
        for i in captured["response"]["body"]["items"]
    ]
    assert names == want


def test_list_resource_version_semantics(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed(bare_cluster)
    future = http.request("GET", JOBS, "resourceVersion=999999")
    assert future.status == 504
    assert future.json["reason"] == "Timeout"
    assert future.json["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    bare_cluster.faults.expire_watches("jobs")
    exact = http.request("GET", JOBS, "resourceVersion=2&resourceVersionMatch=Exact")
    assert_same_status(exact, reference("92-list-exact-old-rv"))


def _watch(http: HttpClient, query: str, namespace: str = "default") -> list[dict[str, object]]:
    response = http.request(
        "GET", f"/apis/batch/v1/namespaces/{namespace}/jobs", "watch=1&" + query
    )
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    return response.lines


def test_watch_streams_changes_from_a_resource_version(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    api = bare_cluster.api
    start = api.list("jobs", "default")["metadata"]["resourceVersion"]
    api.create("jobs", "default", job_body("ref-watch"))
    api.patch(
        "jobs",
        "default",
        "ref-watch",
        {"metadata": {"labels": {"a": "b"}}},
        "application/merge-patch+json",
    )
    api.delete("jobs", "default", "ref-watch", propagation_policy="Background")
    events = _watch(http, f"resourceVersion={start}&timeoutSeconds=1")
    assert [event["type"] for event in events] == ["ADDED", "MODIFIED", "DELETED"]
    versions = [int(event["object"]["metadata"]["resourceVersion"]) for event in events]  # type: ignore[index]
    assert versions == sorted(versions) and versions[0] > int(start)


def test_watch_from_a_compacted_version_is_an_error_event(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed(bare_cluster)
    bare_cluster.faults.expire_watches("jobs")
    events = _watch(http, "resourceVersion=2&allowWatchBookmarks=true&timeoutSeconds=5")
    assert len(events) == 1
    want = reference("91-watch-too-old-rv")["response"]["events"][0]
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert {k: status[k] for k in ("kind", "status", "reason", "code")} == {  # type: ignore[index]
        k: want["object"][k] for k in ("kind", "status", "reason", "code")
    }
    assert status["message"].startswith("too old resource version: 2 (")  # type: ignore[index]


def test_watch_selectors_turn_relabelling_into_added_and_deleted(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    api = bare_cluster.api
    start = api.list("jobs", "default")["metadata"]["resourceVersion"]
    api.create("jobs", "default", job_body("moving", {"tier": "a"}))
    for tier in ("b", "a"):
        api.patch(
            "jobs",
            "default",
            "moving",
            {"metadata": {"labels": {"tier": tier}}},
            "application/merge-patch+json",
        )
    events = _watch(http, f"resourceVersion={start}&labelSelector=tier=a&timeoutSeconds=1")
    assert [event["type"] for event in events] == ["ADDED", "DELETED", "ADDED"]
