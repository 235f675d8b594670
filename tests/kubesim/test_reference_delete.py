"""DELETE semantics against the captured exchanges (k8s-reference 8x, B9-BC): propagation
policies, finalizers, the garbage collector, preconditions, dry runs, deletecollection."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi import ApiError

from .wire_helpers import (
    HttpClient,
    assert_same_shape,
    assert_same_status,
    job_body,
    pod_body,
    replay,
)

JOBS = "/apis/batch/v1/namespaces/default/jobs"

# The API server only marks deletions; these controllers act on them, as in Kubernetes.
pytestmark = pytest.mark.controllers("garbage-collector", "namespace")


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Waits for the garbage collector (it works asynchronously, as upstream's does): a
    generous bound, since a loaded machine may run it late."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def _job_with_pods(cluster: EmbeddedCluster, name: str, pods: int = 2) -> Any:
    job = cluster.api.create("jobs", "default", job_body(name, {"suite": "del"}))
    for index in range(pods):
        cluster.api.create(
            "pods", "default", pod_body(f"{name}-{index}", job, labels={"job-name": name})
        )
    return job


def _pods(cluster: EmbeddedCluster, name: str) -> list[Any]:
    items: list[Any] = cluster.api.list("pods", "default", label_selector=f"job-name={name}")[
        "items"
    ]
    return items


def _gone(cluster: EmbeddedCluster, resource: str, name: str) -> bool:
    try:
        cluster.api.get(resource, "default", name)
    except ApiError as error:
        return error.code == 404
    return False


def test_background_delete_answers_status_and_collects_pods(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    job = _job_with_pods(bare_cluster, "ref-del-bg")
    response, captured = replay(http, "80-delete-job-background")
    assert response.status == 200
    want = captured["response"]["body"]
    assert response.json["status"] == "Success" and response.json["kind"] == "Status"
    assert response.json["details"] == {**want["details"], "uid": job["metadata"]["uid"]}
    eventually(lambda: _pods(bare_cluster, "ref-del-bg") == [])
    after, captured_after = replay(http, "80b-delete-job-background-pods-after")
    assert after.json["items"] == captured_after["response"]["body"]["items"] == []


def test_foreground_delete_returns_the_job_and_finishes_once_pods_are_gone(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    _job_with_pods(bare_cluster, "ref-del-fg")
    response, _ = replay(http, "81-delete-job-foreground")
    assert response.status == 200
    meta = response.json["metadata"]
    assert meta["finalizers"] == ["foregroundDeletion"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 0
    assert meta["generation"] == 2
    eventually(lambda: _gone(bare_cluster, "jobs", "ref-del-fg"))
    assert _pods(bare_cluster, "ref-del-fg") == []
    response, captured = replay(http, "81b-delete-job-foreground-get-immediately")
    assert_same_status(response, captured)


def test_a_finalizer_on_a_pod_blocks_foreground_deletion(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    job = bare_cluster.api.create("jobs", "default", job_body("ref-del-fg-blocked"))
    held = pod_body(
        "held", job, finalizers=["example.com/hold"], labels={"job-name": "ref-del-fg-blocked"}
    )
    bare_cluster.api.create("pods", "default", held)
    response, _ = replay(http, "82-delete-job-foreground-blocked")
    assert response.status == 200
    eventually(
        lambda: bool(
            bare_cluster.api.get("pods", "default", "held")["metadata"].get("deletionTimestamp")
        )
    )
    time.sleep(0.2)
    still, captured = replay(http, "82b-delete-job-foreground-blocked-get-job")
    want = captured["response"]["body"]
    assert still.json["metadata"]["finalizers"] == want["metadata"]["finalizers"]
    assert_same_shape(
        still.json["metadata"], want["metadata"], newer=("*labels*", ".managedFields missing")
    )
    pod, captured = replay(
        http,
        "82c-delete-job-foreground-blocked-get-pod",
        path="/api/v1/namespaces/default/pods/held",
    )
    want = captured["response"]["body"]["metadata"]
    assert pod.json["metadata"]["finalizers"] == want["finalizers"] == ["example.com/hold"]
    assert pod.json["metadata"]["deletionTimestamp"]
    assert pod.json["metadata"]["deletionGracePeriodSeconds"] == want["deletionGracePeriodSeconds"]
    bare_cluster.api.patch(
        "pods",
        "default",
        "held",
        {"metadata": {"finalizers": None}},
        "application/merge-patch+json",
    )
    eventually(lambda: _gone(bare_cluster, "pods", "held"))
    eventually(lambda: _gone(bare_cluster, "jobs", "ref-del-fg-blocked"))
    response, captured = replay(http, "82d-delete-job-foreground-after-unblock")
    assert_same_status(response, captured)


def test_orphan_and_optionless_deletes_keep_the_pods(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    for name, reference_name, pods_after in (
        ("ref-del-orphan", "83-delete-job-orphan", "83c-delete-job-orphan-pods-after"),
        ("ref-del-default", "84-delete-job-no-options", "84b-delete-job-no-options-pods-after"),
    ):
        _job_with_pods(bare_cluster, name)
        response, _ = replay(http, reference_name)
        assert response.status == 200
        assert response.json["metadata"]["finalizers"] == ["orphan"]
        eventually(lambda name=name: _gone(bare_cluster, "jobs", name))  # type: ignore[misc]
        pods = _pods(bare_cluster, name)
        assert len(pods) == 2
        assert all("ownerReferences" not in pod["metadata"] for pod in pods)
        assert all(pod["metadata"]["labels"]["job-name"] == name for pod in pods)
        listed, captured = replay(http, pods_after)
        want = captured["response"]["body"]
        assert len(listed.json["items"]) == len(want["items"])
        assert all("ownerReferences" not in pod["metadata"] for pod in want["items"])
    response, captured = replay(http, "83b-delete-job-orphan-get-after")
    assert_same_status(response, captured)


def test_delete_errors(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    response, captured = replay(http, "85-delete-job-missing")
    assert_same_status(response, captured)
    job = bare_cluster.api.create("jobs", "default", job_body("ref-minimal"))
    response, captured = replay(http, "86-delete-job-precondition-uid-mismatch")
    expected_message = captured["response"]["body"]["message"].replace(
        "83d9a107-193d-4e0b-a17d-a91639c827f5", job["metadata"]["uid"]
    )
    assert_same_status(response, captured, exact_message=False)
    assert response.json["message"] == expected_message
    stale = http.request(
        "DELETE",
        f"{JOBS}/ref-minimal",
        body={"preconditions": {"resourceVersion": "1"}},
    )
    assert stale.status == 409 and stale.json["reason"] == "Conflict"


def test_delete_dry_runs(bare_cluster: EmbeddedCluster, http: HttpClient) -> None:
    bare_cluster.api.create("jobs", "default", job_body("ref-suspend"))
    for name in ("BA-job-delete-dryrun-in-body", "BC-job-delete-dryrun-query-no-body"):
        response, _ = replay(http, name)
        assert response.status == 200 and response.json["status"] == "Success"
        assert not _gone(bare_cluster, "jobs", "ref-suspend")
        kept, _ = replay(http, "BB-job-get-after-dryrun-delete")
        assert kept.status == 200 and kept.json["metadata"]["name"] == "ref-suspend"
    # With a body, query options are ignored: this really deletes (B9).
    bare_cluster.api.create("jobs", "default", job_body("ref-minimal"))
    response, _ = replay(http, "B9-job-delete-dryrun-query-ignored-when-body")
    assert response.status == 200
    assert _gone(bare_cluster, "jobs", "ref-minimal")
    response, captured = replay(http, "B9b-job-get-after-dryrun-delete-with-body")
    assert_same_status(response, captured)


def test_deletecollection_returns_the_deleted_jobs(
    bare_cluster: EmbeddedCluster, http: HttpClient
) -> None:
    bare_cluster.api.create("namespaces", None, {"metadata": {"name": "ref-other"}})
    for name in ("ref-list-a", "ref-list-b"):
        bare_cluster.api.create("jobs", "default", job_body(name, {"suite": "list"}))
    bare_cluster.api.create("jobs", "default", job_body("keep", {"suite": "other"}))
    bare_cluster.api.create("jobs", "ref-other", job_body("ref-other-job", {"suite": "list"}))
    response, captured = replay(http, "87-deletecollection-jobs-labelselector")
    assert response.status == 200
    assert response.json["kind"] == captured["response"]["body"]["kind"] == "JobList"
    assert [item["metadata"]["name"] for item in response.json["items"]] == [
        "ref-list-a",
        "ref-list-b",
    ]
    after, captured = replay(http, "87b-deletecollection-list-after")
    assert [item["metadata"]["name"] for item in after.json["items"]] == ["ref-other-job"]
    assert [item["metadata"]["namespace"] for item in after.json["items"]] == [
        item["metadata"]["namespace"] for item in captured["response"]["body"]["items"]
    ]


def test_finalizers_hold_objects_until_removed(bare_cluster: EmbeddedCluster) -> None:
    api = bare_cluster.api
    api.create("pods", "default", pod_body("guarded", finalizers=["example.com/guard"]))
    deleting = api.delete("pods", "default", "guarded")
    assert deleting["metadata"]["deletionTimestamp"]
    assert api.get("pods", "default", "guarded")["metadata"]["finalizers"] == ["example.com/guard"]
    api.patch(
        "pods",
        "default",
        "guarded",
        {"metadata": {"finalizers": []}},
        "application/merge-patch+json",
    )
    assert _gone(bare_cluster, "pods", "guarded")


def test_deleting_a_namespace_deletes_what_is_in_it(bare_cluster: EmbeddedCluster) -> None:
    api = bare_cluster.api
    api.create("namespaces", None, {"metadata": {"name": "doomed"}})
    api.create("jobs", "doomed", job_body("inside"))
    terminating = api.delete("namespaces", None, "doomed")
    assert terminating["status"]["phase"] == "Terminating"
    eventually(
        lambda: api.list("namespaces", None, field_selector="metadata.name=doomed")["items"] == []
    )
    assert api.list("jobs", "doomed")["items"] == []


def test_a_pod_on_a_node_waits_for_its_kubelet(bare_cluster: EmbeddedCluster) -> None:
    api = bare_cluster.api
    bound = pod_body("bound")
    bound["spec"]["nodeName"] = "node-without-kubelet"
    api.create("pods", "default", bound)
    deleting = api.delete("pods", "default", "bound")
    assert deleting["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.get("pods", "default", "bound")["metadata"]["deletionTimestamp"]
    api.delete("pods", "default", "bound", grace_period_seconds=0)  # what a kubelet does
    assert _gone(bare_cluster, "pods", "bound")
    api.create("pods", "default", pod_body("unbound"))
    api.delete("pods", "default", "unbound")  # no node took it: deleted at once (58b)
    assert _gone(bare_cluster, "pods", "unbound")


def test_an_owner_gone_for_good_takes_every_kind_of_dependent(
    bare_cluster: EmbeddedCluster,
) -> None:
    """No table of kinds: an Event owned by a Pod owned by a CronJob goes, level by level."""
    api = bare_cluster.api
    cron = api.create(
        "cronjobs",
        "default",
        {
            "metadata": {"name": "gc-chain"},
            "spec": {
                "schedule": "@yearly",
                "jobTemplate": {"spec": {"template": job_body("x")["spec"]["template"]}},
            },
        },
    )
    pod = api.create("pods", "default", pod_body("gc-chain-pod", cron))
    event = {
        "metadata": {
            "name": "gc-chain-event",
            "ownerReferences": pod_body("e", pod)["metadata"]["ownerReferences"],
        },
        "involvedObject": {"kind": "Pod", "name": "gc-chain-pod", "namespace": "default"},
        "reason": "Test",
        "message": "owned by a pod",
    }
    api.create("events", "default", event)
    api.delete("cronjobs", "default", "gc-chain")
    eventually(lambda: _gone(bare_cluster, "pods", "gc-chain-pod"))
    eventually(lambda: _gone(bare_cluster, "events", "gc-chain-event"))


def test_a_dependent_with_another_live_owner_only_loses_the_reference(
    bare_cluster: EmbeddedCluster,
) -> None:
    api = bare_cluster.api
    first = api.create("jobs", "default", job_body("gc-first"))
    second = api.create("jobs", "default", job_body("gc-second"))
    shared = pod_body("gc-shared", first)
    shared["metadata"]["ownerReferences"].append(
        {**pod_body("x", second)["metadata"]["ownerReferences"][0], "controller": False}
    )
    api.create("pods", "default", shared)
    api.delete("jobs", "default", "gc-first", propagation_policy="Background")
    eventually(
        lambda: (
            [
                ref["name"]
                for ref in api.get("pods", "default", "gc-shared")["metadata"]["ownerReferences"]
            ]
            == ["gc-second"]
        )
    )


def test_a_reference_to_an_owner_that_never_existed_is_collected(
    bare_cluster: EmbeddedCluster,
) -> None:
    ghost = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "ghost", "uid": "0"}}
    bare_cluster.api.create("pods", "default", pod_body("gc-orphaned", ghost))
    eventually(lambda: _gone(bare_cluster, "pods", "gc-orphaned"))


def test_a_non_blocking_dependent_does_not_hold_a_foreground_owner(
    bare_cluster: EmbeddedCluster,
) -> None:
    api = bare_cluster.api
    job = api.create("jobs", "default", job_body("gc-fg-nonblocking"))
    loose = pod_body("gc-loose", job, finalizers=["example.com/hold"])
    loose["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] = False
    api.create("pods", "default", loose)
    api.delete("jobs", "default", "gc-fg-nonblocking", propagation_policy="Foreground")
    eventually(lambda: _gone(bare_cluster, "jobs", "gc-fg-nonblocking"))
    assert api.get("pods", "default", "gc-loose")["metadata"]["deletionTimestamp"]


def test_a_namespace_waits_for_an_object_its_finalizer_holds(
    bare_cluster: EmbeddedCluster,
) -> None:
    api = bare_cluster.api
    api.create("namespaces", None, {"metadata": {"name": "held-ns"}})
    api.create("pods", "held-ns", pod_body("held-pod", finalizers=["example.com/hold"]))
    api.delete("namespaces", None, "held-ns")
    eventually(
        lambda: bool(api.get("pods", "held-ns", "held-pod")["metadata"].get("deletionTimestamp"))
    )
    assert api.get("namespaces", None, "held-ns")["status"]["phase"] == "Terminating"
    api.patch("pods", "held-ns", "held-pod", {"metadata": {"finalizers": None}}, MERGE)
    eventually(lambda: _gone_cluster_scoped(bare_cluster, "namespaces", "held-ns"))


@pytest.mark.controllers()
def test_without_the_garbage_collector_the_api_server_only_marks_deletions(
    bare_cluster: EmbeddedCluster,
) -> None:
    job = _job_with_pods(bare_cluster, "gc-off", pods=1)
    bare_cluster.api.delete("jobs", "default", "gc-off", propagation_policy="Background")
    bare_cluster.api.delete("namespaces", None, "default")
    pod = bare_cluster.api.get("pods", "default", "gc-off-0")
    assert pod["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]
    namespace = bare_cluster.api.get("namespaces", None, "default")
    assert namespace["status"]["phase"] == "Terminating"


def _gone_cluster_scoped(cluster: EmbeddedCluster, resource: str, name: str) -> bool:
    try:
        cluster.api.get(resource, None, name)
    except ApiError as error:
        return error.code == 404
    return False


MERGE = "application/merge-patch+json"
