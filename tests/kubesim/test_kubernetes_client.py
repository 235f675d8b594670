"""The official ``kubernetes`` client against the cluster, over HTTP: typed APIs, errors,
paging, patches and watches. These tests also run against a real cluster
(JOBSCHEDULER_TEST_KUBECONFIG), where they check that the simulation agrees with it."""

from __future__ import annotations

import json
import time
from typing import Any

import kubernetes.client as k8s
import pytest
from kubernetes import watch

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import job_body, pod_body


def _reason(error: k8s.ApiException) -> str:
    return str(json.loads(error.body)["reason"])


def test_job_crud_through_batch_v1(cluster: Any, kube_client: k8s.ApiClient) -> None:
    batch = k8s.BatchV1Api(kube_client)
    namespace = cluster.namespace
    created = batch.create_namespaced_job(
        namespace, job_body("crud", {"app": "demo"}, suspend=True)
    )
    assert created.metadata.uid and created.spec.backoff_limit == 6
    assert created.spec.template.metadata.labels["batch.kubernetes.io/job-name"] == "crud"
    read = batch.read_namespaced_job("crud", namespace)
    assert read.metadata.uid == created.metadata.uid
    patched = batch.patch_namespaced_job(
        "crud", namespace, {"metadata": {"labels": {"tier": "gold"}}}
    )
    assert patched.metadata.labels == {"app": "demo", "tier": "gold"}
    patched.spec.parallelism = 2
    replaced = batch.replace_namespaced_job("crud", namespace, patched)
    assert replaced.spec.parallelism == 2 and replaced.metadata.generation == 2
    listed = batch.list_namespaced_job(namespace, label_selector="tier=gold")
    assert [job.metadata.name for job in listed.items] == ["crud"]
    status = batch.delete_namespaced_job("crud", namespace, propagation_policy="Background")
    assert status.status == "Success"
    with pytest.raises(k8s.ApiException) as missing:
        batch.read_namespaced_job("crud", namespace)
    assert missing.value.status == 404 and _reason(missing.value) == "NotFound"


def test_error_reasons_reach_the_client(cluster: Any, kube_client: k8s.ApiClient) -> None:
    batch = k8s.BatchV1Api(kube_client)
    namespace = cluster.namespace
    batch.create_namespaced_job(namespace, job_body("dup", suspend=True))
    with pytest.raises(k8s.ApiException) as duplicate:
        batch.create_namespaced_job(namespace, job_body("dup"))
    assert (duplicate.value.status, _reason(duplicate.value)) == (409, "AlreadyExists")
    with pytest.raises(k8s.ApiException) as invalid:
        batch.create_namespaced_job(namespace, job_body("Bad_Name"))
    body = json.loads(invalid.value.body)
    assert (invalid.value.status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    stale = batch.read_namespaced_job("dup", namespace)
    batch.patch_namespaced_job("dup", namespace, {"metadata": {"labels": {"v": "2"}}})
    with pytest.raises(k8s.ApiException) as conflict:
        batch.replace_namespaced_job("dup", namespace, stale)
    assert (conflict.value.status, _reason(conflict.value)) == (409, "Conflict")


def test_paging_through_the_client(cluster: Any, kube_client: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(kube_client)
    namespace = cluster.namespace
    for index in range(7):
        core.create_namespaced_pod(namespace, pod_body(f"page-{index}", labels={"set": "paging"}))
    names: list[str] = []
    token = None
    while True:
        page = core.list_namespaced_pod(
            namespace, label_selector="set=paging", limit=3, _continue=token
        )
        names += [pod.metadata.name for pod in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"page-{index}" for index in range(7)]


def test_watch_streams_and_resumes(cluster: Any, kube_client: k8s.ApiClient) -> None:
    batch = k8s.BatchV1Api(kube_client)
    namespace = cluster.namespace
    start = batch.list_namespaced_job(namespace).metadata.resource_version
    batch.create_namespaced_job(namespace, job_body("watched", suspend=True))
    seen: list[tuple[str, str]] = []
    watcher = watch.Watch()
    for event in watcher.stream(
        batch.list_namespaced_job, namespace, resource_version=start, timeout_seconds=2
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "ADDED":
            resume_from = event["object"].metadata.resource_version
            watcher.stop()
    assert seen == [("ADDED", "watched")]
    batch.patch_namespaced_job("watched", namespace, {"metadata": {"labels": {"x": "1"}}})
    resumed = [
        event["type"]
        for event in watch.Watch().stream(
            batch.list_namespaced_job, namespace, resource_version=resume_from, timeout_seconds=1
        )
    ]
    assert resumed[0] == "MODIFIED"


def test_watch_from_an_expired_version_raises_410(embedded_cluster: EmbeddedCluster) -> None:
    client = embedded_cluster.api_client()
    try:
        batch = k8s.BatchV1Api(client)
        batch.create_namespaced_job("default", job_body("old", suspend=True))
        old = batch.list_namespaced_job("default").metadata.resource_version
        batch.patch_namespaced_job("old", "default", {"metadata": {"labels": {"x": "1"}}})
        embedded_cluster.faults.expire_watches("jobs")
        with pytest.raises(k8s.ApiException) as expired:
            for _ in watch.Watch().stream(
                batch.list_namespaced_job, "default", resource_version=old, timeout_seconds=2
            ):
                pass
        assert expired.value.status == 410
        assert "Expired" in str(expired.value.reason)
    finally:
        client.close()


def test_open_watches_end_when_history_is_compacted(embedded_cluster: EmbeddedCluster) -> None:
    stream = embedded_cluster.api.watch("jobs", "default", resource_version="", timeout_seconds=30)
    started = time.monotonic()
    embedded_cluster.faults.expire_watches("jobs")
    assert list(stream) == []
    assert time.monotonic() - started < 10


def test_pods_and_events_through_core_v1(cluster: Any, kube_client: k8s.ApiClient) -> None:
    core = k8s.CoreV1Api(kube_client)
    namespace = cluster.namespace
    pod = core.create_namespaced_pod(namespace, pod_body("solo"))
    assert pod.spec.dns_policy == "ClusterFirst" and pod.status.phase in (
        "Pending",
        "Running",
        "Succeeded",
    )
    event = core.create_namespaced_event(
        namespace,
        {
            "metadata": {"name": "solo.1"},
            "involvedObject": {"kind": "Pod", "name": "solo", "namespace": namespace},
            "reason": "Testing",
            "message": "hello",
            "type": "Normal",
        },
    )
    assert event.reason == "Testing"
    found = core.list_namespaced_event(namespace, field_selector="involvedObject.name=solo")
    assert [item.metadata.name for item in found.items if item.reason == "Testing"] == ["solo.1"]
    deleted = core.delete_namespaced_pod("solo", namespace, grace_period_seconds=0)
    assert deleted.metadata.name == "solo"


@pytest.mark.clock_speed(10)
def test_follow_pod_logs_over_http(embedded_cluster: EmbeddedCluster) -> None:
    client = embedded_cluster.api_client()
    try:
        core = k8s.CoreV1Api(client)
        pod = pod_body("talker")
        pod["metadata"]["annotations"] = {
            "sim.jobscheduler.io/logs": "first line\nsecond line",
            "sim.jobscheduler.io/run-seconds": "2",
        }
        core.create_namespaced_pod("default", pod)
        deadline = time.monotonic() + 20
        # Like kubectl logs -f: a container still being created has no log to follow yet.
        while core.read_namespaced_pod("talker", "default").status.phase == "Pending":
            assert time.monotonic() < deadline, "the simulated kubelet never started the pod"
            time.sleep(0.02)
        response = core.read_namespaced_pod_log(
            "talker", "default", follow=True, _preload_content=False
        )
        text = b"".join(response.stream()).decode()
        response.release_conn()
        assert "first line\nsecond line" in text
        # The stream ends with the container; the kubelet's status write may land just after.
        deadline = time.monotonic() + 20
        while (phase := core.read_namespaced_pod("talker", "default").status.phase) == "Running":
            assert time.monotonic() < deadline, "the pod never finished"
            time.sleep(0.02)
        assert phase == "Succeeded"
        tail = core.read_namespaced_pod_log("talker", "default", tail_lines=1)
        assert tail.strip() == "second line"
        # The other kubelet log options travel over HTTP too (their semantics: test_pod_logs).
        assert core.read_namespaced_pod_log("talker", "default", limit_bytes=5) == "first"
        recent = core.read_namespaced_pod_log("talker", "default", since_seconds=3600)
        assert recent == "first line\nsecond line\n"
        stamped = core.read_namespaced_pod_log("talker", "default", timestamps=True)
        assert [line.split(" ", 1)[1] for line in stamped.splitlines()] == [
            "first line",
            "second line",
        ]
        assert all(
            line[:4].isdigit() and "T" in line.split(" ")[0] for line in stamped.splitlines()
        )
    finally:
        client.close()


@pytest.mark.clock_speed(10)
def test_a_running_pod_is_deleted_gracefully(embedded_cluster: EmbeddedCluster) -> None:
    client = embedded_cluster.api_client()
    try:
        core = k8s.CoreV1Api(client)
        pod = pod_body("long")
        pod["metadata"]["annotations"] = {"sim.jobscheduler.io/run-seconds": "3600"}
        core.create_namespaced_pod("default", pod)
        deadline = time.monotonic() + 20
        while core.read_namespaced_pod("long", "default").status.phase != "Running":
            assert time.monotonic() < deadline, "the simulated kubelet never started the pod"
            time.sleep(0.02)
        deleting = core.delete_namespaced_pod("long", "default")
        assert deleting.metadata.deletion_grace_period_seconds == 30
        assert deleting.metadata.deletion_timestamp is not None
        # The kubelet stops the containers and confirms the deletion.
        while True:
            try:
                core.read_namespaced_pod("long", "default")
            except k8s.ApiException as gone:
                assert gone.status == 404
                break
            assert time.monotonic() < deadline + 20, "the pod was never removed"
            time.sleep(0.02)
    finally:
        client.close()
