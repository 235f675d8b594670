"""Replays of the captures the topic modules do not reach: discovery details, GET/PUT, paging
pages one by one, watch corner cases, pod logs, dry-run conflicts, auth and CronJob tables
(k8s-reference 0x, 18, 3x, 9x, B2-B8, C2-CF, AA)."""

from __future__ import annotations

import json
import threading
from typing import Any

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import (
    HttpClient,
    assert_same_shape,
    assert_same_status,
    job_body,
    pod_body,
    reference,
    replay,
)

JOBS = "/apis/batch/v1/namespaces/default/jobs"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
UNRECORDED = ("*.managedFields*",)  # the embedded server records no managedFields
NEWER_JOB = (
    *UNRECORDED,
    "*.labels.batch.kubernetes.io/* extra",
    "*.matchLabels.batch.kubernetes.io/controller-uid extra",
    "*.matchLabels.controller-uid missing",
    "*.spec.podReplacementPolicy extra",
    "*.spec.manualSelector extra",
    # An unset creationTimestamp is omitted, not null, in template metadata (v1.36 B1).
    "*emplate.metadata.creationTimestamp missing",
)
# The list captures were taken while the job controller ran; without controllers the Jobs of
# these tests have no status yet.
NO_CONTROLLER = ("*.status.active missing", "*.status.ready missing", "*.status.startTime missing")
# Values of user-chosen maps and lists differ between the captured manifests and ours.
USER_DATA = ("*.labels.* missing", "*.labels.* extra", "*.command missing")


def _seed_lists(cluster: EmbeddedCluster) -> None:
    api = cluster.api
    api.create("namespaces", None, {"metadata": {"name": "ref-other"}})
    for name in ("ref-list-a", "ref-list-b", "ref-list-c"):
        api.create("jobs", "default", job_body(name, {"suite": "list"}))
    api.create("jobs", "default", job_body("ref-minimal", {"suite": "ref"}))
    api.create("jobs", "ref-other", job_body("ref-other-job", {"suite": "list"}))


def test_discovery_documents_have_the_reference_shape(http: HttpClient) -> None:
    api, captured = replay(http, "02-discovery-api")
    assert_same_shape(api.json, captured["response"]["body"])
    groups, captured = replay(http, "04-discovery-apis")
    assert_same_shape(groups.json, captured["response"]["body"])
    batch, captured = replay(http, "05-discovery-apis-batch")
    assert_same_shape(batch.json, captured["response"]["body"])
    assert batch.json["preferredVersion"] == captured["response"]["body"]["preferredVersion"]


def test_batch_v1beta1_is_gone_as_in_current_kubernetes(http: HttpClient) -> None:
    """Deliberate deviation: 1.24 still served batch/v1beta1 CronJobs with a deprecation
    Warning header (07, AA); Kubernetes 1.25 removed the version, so it is a 404 here and
    /apis/batch lists batch/v1 only."""
    for name in ("07-discovery-apis-batch-v1beta1", "AA-cronjob-list-v1beta1-warning-header"):
        response, captured = replay(http, name)
        assert captured["response"]["statusCode"] == 200
        assert response.status == 404
        assert response.json["reason"] == "NotFound" and response.json["details"] == {}
    versions = http.request("GET", "/apis/batch").json["versions"]
    assert [version["version"] for version in versions] == ["v1"]


def test_get_of_a_missing_job(http: HttpClient) -> None:
    response, captured = replay(http, "18-job-get-missing")
    assert_same_status(response, captured)


def test_each_page_of_a_selected_list(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed_lists(bare_cluster)
    page = http.request("GET", JOBS, "labelSelector=suite=list&limit=1").json
    for name in (
        "31-job-list-labelselector-continue",
        "32-job-list-labelselector-continue-page3",
        "33-job-list-labelselector-continue-page4-empty",
    ):
        captured = reference(name)
        query = captured["request"]["query"].split("&continue=")[0]
        page = http.request("GET", JOBS, f"{query}&continue={page['metadata']['continue']}").json
        want = captured["response"]["body"]
        assert [i["metadata"]["name"] for i in page["items"]] == [
            i["metadata"]["name"] for i in want["items"]
        ], name
        assert ("continue" in page["metadata"]) == ("continue" in want["metadata"]), name
        assert "remainingItemCount" not in page["metadata"]
        assert_same_shape(page, want, newer=(*NEWER_JOB, *NO_CONTROLLER))


def test_unselected_page_and_field_selectors(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed_lists(bare_cluster)
    response, captured = replay(http, "35-job-list-limit1-no-selector")
    want = captured["response"]["body"]
    assert set(response.json["metadata"]) == set(want["metadata"])  # remainingItemCount
    assert_same_shape(response.json, want, newer=(*NEWER_JOB, *NO_CONTROLLER, *USER_DATA))
    response, captured = replay(http, "36-job-list-fieldselector-name")
    assert [i["metadata"]["name"] for i in response.json["items"]] == ["ref-list-b"]
    assert_same_shape(
        response.json, captured["response"]["body"], newer=(*NEWER_JOB, *NO_CONTROLLER, *USER_DATA)
    )
    response, captured = replay(http, "38-job-list-fieldselector-status-successful")
    assert response.status == 200 and len(response.json["items"]) == 4
    assert all("succeeded" not in i["status"] for i in captured["response"]["body"]["items"])


def test_inconsistent_continue_after_expiry_reaches_the_end(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed_lists(bare_cluster)
    token = http.request("GET", JOBS, "labelSelector=suite=list&limit=1").json["metadata"][
        "continue"
    ]
    bare_cluster.faults.expire_watches("jobs")
    expired = http.request(
        "GET", JOBS, f"labelSelector=suite=list&limit=1&resourceVersion=0&continue={token}"
    )
    fresh = expired.json["metadata"]["continue"]
    captured = reference("34e-job-list-inconsistent-continue-from-410")
    response = http.request("GET", JOBS, f"labelSelector=suite=list&limit=1&continue={fresh}")
    assert response.status == captured["response"]["statusCode"] == 200
    assert_same_shape(
        response.json, captured["response"]["body"], newer=(*NEWER_JOB, *NO_CONTROLLER)
    )
    # The next page is served at the current resourceVersion, not the expired snapshot.
    assert int(response.json["metadata"]["resourceVersion"]) >= int(
        expired.json["metadata"].get("resourceVersion") or 0
    )


def _watch_lines(http: HttpClient, name: str, **replace: str) -> tuple[list[Any], Any]:
    captured = reference(name)
    query = captured["request"]["query"]
    for old, new in replace.items():
        query = query.replace(old, new)
    response = http.request("GET", captured["request"]["path"], query)
    assert response.status == 200
    assert response.headers["content-type"] == captured["response"]["headers"]["content-type"]
    return response.lines, captured


def test_watch_sees_create_modify_delete_then_bookmarks(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    start = bare_cluster.api.list("jobs", "default")["metadata"]["resourceVersion"]

    def act() -> None:
        api = bare_cluster.api
        api.create("jobs", "default", job_body("ref-watch"))
        patch = {"metadata": {"labels": {"step": "two"}}}
        api.patch("jobs", "default", "ref-watch", patch, "application/merge-patch+json")
        api.delete("jobs", "default", "ref-watch", propagation_policy="Background")
        # A change the watcher does not see advances the version: bookmarks follow.
        bare_cluster.api.create("jobs", "kube-system", job_body("elsewhere"))

    timer = threading.Timer(0.1, act)
    timer.start()
    try:
        lines, captured = _watch_lines(
            http,
            "90-watch-jobs-create-modify-delete",
            **{
                "resourceVersion=420": f"resourceVersion={start}",
                "timeoutSeconds=5": "timeoutSeconds=2",
            },
        )
    finally:
        timer.join()
    kinds = [line["type"] for line in lines]
    assert kinds[:3] == ["ADDED", "MODIFIED", "DELETED"]
    assert "BOOKMARK" in kinds
    want = captured["response"]["events"]
    assert_same_shape(lines[0]["object"], want[0]["object"], newer=(*NEWER_JOB, *NO_CONTROLLER))
    got_bookmark = next(line for line in lines if line["type"] == "BOOKMARK")["object"]
    want_bookmark = next(e for e in want if e["type"] == "BOOKMARK")["object"]
    version = got_bookmark["metadata"]["resourceVersion"]
    # 1.24 wrote creationTimestamp: null in a bookmark's metadata and template metadata;
    # v1.36 omits both (reference v1.36 H1, replayed in test_reference_v136_watch).
    assert got_bookmark == {
        **want_bookmark,
        "metadata": {"resourceVersion": version},
        "spec": {"template": {"metadata": {}, "spec": {"containers": None}}},
    }


def test_watch_corner_cases(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    _seed_lists(bare_cluster)
    lines, captured = _watch_lines(
        http, "93-watch-no-rv-initial-added", **{"timeoutSeconds=3": "timeoutSeconds=1"}
    )
    assert [line["type"] for line in lines] == [e["type"] for e in captured["response"]["events"]]
    assert_same_shape(
        lines[0]["object"],
        captured["response"]["events"][0]["object"],
        newer=(*NEWER_JOB, *NO_CONTROLLER),
    )
    lines, captured = _watch_lines(
        http, "94-watch-rv0-initial-added", **{"timeoutSeconds=3": "timeoutSeconds=1"}
    )
    assert [line["type"] for line in lines] == [e["type"] for e in captured["response"]["events"]]
    lines, captured = _watch_lines(
        http, "95-watch-future-rv", **{"timeoutSeconds=10": "timeoutSeconds=1"}
    )
    assert lines == captured["response"]["events"] == []
    current = bare_cluster.api.list("jobs", "ref-other")["metadata"]["resourceVersion"]
    lines, captured = _watch_lines(
        http,
        "97-watch-bookmark-idle-70s",
        **{
            "resourceVersion=748": f"resourceVersion={current}",
            "timeoutSeconds=70": "timeoutSeconds=2",
        },
    )
    assert lines == captured["response"]["events"] == []  # nothing advanced: no BOOKMARK
    response, captured = replay(http, "96-list-future-rv-504")
    assert_same_status(response, captured, exact_message=False)  # it names the current RV
    assert response.json["message"].startswith("Timeout: Too large resource version: 999999, ")
    assert response.headers["retry-after"] == captured["response"]["headers"]["retry-after"]
    assert response.json["details"]["retryAfterSeconds"] == 1


def test_too_old_version_in_another_namespace(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    """The watch window is per resource, not per namespace (91b)."""
    _seed_lists(bare_cluster)
    bare_cluster.faults.expire_watches("jobs")
    lines, captured = _watch_lines(
        http,
        "91b-watch-too-old-rv-other-namespace",
        **{"resourceVersion=243": "resourceVersion=2", "timeoutSeconds=70": "timeoutSeconds=1"},
    )
    want = captured["response"]["events"]
    assert [line["type"] for line in lines] == [e["type"] for e in want] == ["ERROR"]
    status, want_status = lines[0]["object"], want[0]["object"]
    assert (status["reason"], status["code"]) == (want_status["reason"], want_status["code"])
    assert_same_shape(status, want_status)


def test_bookmarks_while_another_namespace_changes(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _seed_lists(bare_cluster)
    start = bare_cluster.api.list("jobs", "ref-other")["metadata"]["resourceVersion"]
    timer = threading.Timer(
        0.2, lambda: bare_cluster.api.create("jobs", "default", job_body("elsewhere"))
    )
    timer.start()
    try:
        lines, captured = _watch_lines(
            http,
            "98-watch-bookmark-other-ns-changes-70s",
            **{
                "resourceVersion=764": f"resourceVersion={start}",
                "timeoutSeconds=70": "timeoutSeconds=2",
            },
        )
    finally:
        timer.join()
    want = captured["response"]["events"]
    assert {line["type"] for line in lines} == {e["type"] for e in want} == {"BOOKMARK"}
    # v1.36 omits an unset creationTimestamp instead of writing null (v1.36 H1).
    assert_same_shape(
        lines[0]["object"], want[0]["object"], newer=("*.metadata.creationTimestamp missing",)
    )


def test_pod_logs_of_unscheduled_and_unknown_node_pods(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    finished = pod_body("ref-lifecycle-9p2gj")
    bare_cluster.api.create("pods", "default", finished)
    bare_cluster.api.patch(
        "pods",
        "default",
        "ref-lifecycle-9p2gj",
        {"status": {"phase": "Succeeded"}},
        "application/merge-patch+json",
        subresource="status",
    )
    response, captured = replay(http, "B2-pod-log-succeeded-pod-no-node")
    assert response.status == captured["response"]["statusCode"] == 204
    assert response.raw == b"" and "content-type" not in response.headers
    bound = pod_body("ref-bound-pod")
    bound["spec"]["nodeName"] = "ghost-node"
    bare_cluster.api.create("pods", "default", bound)
    response, captured = replay(http, "B4-pod-log-pod-bound-to-missing-node")
    assert_same_status(response, captured)


def test_dry_run_create_still_conflicts(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    bare_cluster.api.create("jobs", "default", job_body("ref-minimal"))
    response, captured = replay(http, "B8-job-create-dryrun-duplicate-409")
    assert_same_status(response, captured)


def _with_captured_change(ours: Any, captured_body: Any) -> Any:
    """Our object with the change the captured PUT made: its labels and parallelism (the
    captured body itself names the 1.24 selector, which is immutable and differs from ours)."""
    body = json.loads(json.dumps(ours))
    body["metadata"]["labels"]["updated"] = captured_body["metadata"]["labels"]["updated"]
    body["spec"]["parallelism"] = captured_body["spec"]["parallelism"]
    if "resourceVersion" not in captured_body["metadata"]:
        del body["metadata"]["resourceVersion"]
    return body


def test_put_updates(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    created, _ = replay(http, "CA-job-create-generatename")
    ours = created.json
    path = f"{JOBS}/{ours['metadata']['name']}"
    captured = reference("CB-job-put-update-ok")
    updated, _ = replay(
        http,
        "CB-job-put-update-ok",
        path=path,
        body=_with_captured_change(ours, captured["request"]["body"]),
    )
    want = captured["response"]["body"]
    assert updated.status == 200, updated.json
    assert_same_shape(
        updated.json, want, newer=(*NEWER_JOB, *NO_CONTROLLER, ".status.conditions missing")
    )
    assert updated.json["metadata"]["generation"] == want["metadata"]["generation"] == 2
    assert updated.json["spec"]["parallelism"] == want["spec"]["parallelism"]
    assert int(updated.json["metadata"]["resourceVersion"]) > int(
        ours["metadata"]["resourceVersion"]
    )
    captured = reference("CC-job-put-without-rv")
    assert "resourceVersion" not in captured["request"]["body"]["metadata"]
    unconditional, _ = replay(
        http,
        "CC-job-put-without-rv",
        path=path,
        body=_with_captured_change(updated.json, captured["request"]["body"]),
    )
    assert unconditional.status == 200, unconditional.json
    assert unconditional.json["metadata"]["labels"]["updated"] == "by-put-no-rv"
    assert_same_shape(
        unconditional.json,
        captured["response"]["body"],
        newer=(*NEWER_JOB, *NO_CONTROLLER, ".status.conditions missing"),
    )


def test_cronjob_table(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    created, _ = replay(http, "A0-cronjob-create")
    assert created.status == 201
    table, captured = replay(http, "CF-cronjob-list-as-table", accept=TABLE)
    want = captured["response"]["body"]
    assert table.status == 200 and table.headers["content-type"] == "application/json"
    got_columns = [c["name"] for c in table.json["columnDefinitions"]]
    want_columns = [c["name"] for c in want["columnDefinitions"]]
    # Current kube-apiserver adds a Timezone column after Schedule (1.27+).
    assert [c for c in got_columns if c != "Timezone"] == want_columns
    row = table.json["rows"][0]
    assert row["object"]["kind"] == want["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert row["cells"][0] == "ref-cron"


def test_anonymous_403_and_bad_token_401(bare_cluster: EmbeddedCluster) -> None:
    """Formerly a deliberate deviation (every request acted as system:masters); the embedded
    server now authenticates and authorizes as kube-apiserver does (v1.36 E01/E02 agree with
    C2/C3): no credentials is system:anonymous, whom RBAC forbids; a bad token is a 401."""
    anonymous = HttpClient(bare_cluster.url)
    try:
        response, captured = replay(anonymous, "C2-anonymous-403")
        assert_same_status(response, captured)
        assert response.headers["x-content-type-options"] == "nosniff"
        response, captured = replay(
            anonymous, "C3-bad-token-401", headers={"Authorization": "Bearer not-a-valid-token"}
        )
        assert_same_status(response, captured)
    finally:
        anonymous.close()
