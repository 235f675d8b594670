"""The controllers and the simulated kubelet over HTTP (RestClusterAPI), as they would run
against a real control plane without nodes; and recovery from API failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import kubernetes.client as k8s
import pytest

from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi import ApiError
from kubesim.clusterapi.rest import RestClusterAPI
from kubesim.controllers import ControllerManager

from .lifecycle import condition, finished, job_manifest, job_pods, wait_for

NS = "default"
CONTROLLER_THREADS = ("informer-", "job-controller", "cronjob-controller", "ttl-", "simulated-")


@pytest.fixture
def rest_client(bare_cluster: EmbeddedCluster) -> Iterator[k8s.ApiClient]:
    client = bare_cluster.api_client()
    yield client
    client.close()


@pytest.fixture
def rest_controllers(
    bare_cluster: EmbeddedCluster, rest_client: k8s.ApiClient
) -> Iterator[ControllerManager]:
    manager = ControllerManager(RestClusterAPI(rest_client), bare_cluster.clock)
    manager.start()
    yield manager
    manager.stop()


def controller_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(CONTROLLER_THREADS)]


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_controllers_over_rest_drive_a_job_to_completion(
    rest_controllers: ControllerManager, rest_client: k8s.ApiClient
) -> None:
    batch, core = k8s.BatchV1Api(rest_client), k8s.CoreV1Api(rest_client)
    batch.create_namespaced_job(NS, job_manifest("remote", parallelism=2, completions=3))

    job = wait_for(lambda: batch.read_namespaced_job("remote", NS), finished, "the job to finish")

    assert condition(job, "Complete") is not None
    pods = job_pods(core, NS, "remote")
    assert [pod.status.phase for pod in pods] == ["Succeeded"] * 3
    assert all(pod.spec.node_name for pod in pods)


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_failed_pod_creations_are_retried(
    bare_cluster: EmbeddedCluster, rest_controllers: ControllerManager, rest_client: k8s.ApiClient
) -> None:
    bare_cluster.faults.fail_next(2, verb="create", resource="pods", status=500)
    batch, core = k8s.BatchV1Api(rest_client), k8s.CoreV1Api(rest_client)
    batch.create_namespaced_job(NS, job_manifest("retried"))

    job = wait_for(lambda: batch.read_namespaced_job("retried", NS), finished, "the job to finish")

    assert condition(job, "Complete") is not None
    events = core.list_namespaced_event(NS, field_selector="involvedObject.name=retried").items
    assert "FailedCreate" in [event.reason for event in events]


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_rest_api_reports_the_servers_status(rest_client: k8s.ApiClient) -> None:
    api = RestClusterAPI(rest_client)
    with pytest.raises(ApiError) as raised:
        api.get("jobs", NS, "missing")
    assert (raised.value.code, raised.value.reason) == (404, "NotFound")
    assert raised.value.message == 'jobs.batch "missing" not found'


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_stopping_a_rest_watch_ends_the_blocked_reader(rest_client: k8s.ApiClient) -> None:
    stream = RestClusterAPI(rest_client).watch("jobs", NS, timeout_seconds=300)
    seen: list[Any] = []
    reader = threading.Thread(target=lambda: seen.extend(stream), daemon=True)
    reader.start()

    stream.stop()
    reader.join(10)

    assert not reader.is_alive()


@pytest.mark.clock_speed(20)
def test_controllers_recover_when_their_watches_expire(embedded_cluster: EmbeddedCluster) -> None:
    client = embedded_cluster.api_client()
    batch = k8s.BatchV1Api(client)
    try:
        batch.create_namespaced_job(NS, job_manifest("before"))
        wait_for(lambda: batch.read_namespaced_job("before", NS), finished, "the first job")
        embedded_cluster.faults.expire_watches()
        batch.create_namespaced_job(NS, job_manifest("after"))
        job = wait_for(lambda: batch.read_namespaced_job("after", NS), finished, "the second job")
        assert condition(job, "Complete") is not None
    finally:
        client.close()


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_stopping_the_manager_ends_every_thread(bare_cluster: EmbeddedCluster) -> None:
    client = bare_cluster.api_client()
    manager = ControllerManager(RestClusterAPI(client), bare_cluster.clock)
    manager.start()
    assert manager.wait_synced()
    assert controller_threads()

    manager.stop()
    client.close()

    assert controller_threads() == []


@pytest.mark.clock_speed(20)  # the bare cluster's clock
def test_a_restarted_kubelet_carries_on_with_running_pods(
    bare_cluster: EmbeddedCluster, rest_client: k8s.ApiClient
) -> None:
    batch, core = k8s.BatchV1Api(rest_client), k8s.CoreV1Api(rest_client)
    first = ControllerManager(RestClusterAPI(rest_client), bare_cluster.clock)
    first.start()
    annotations = {"sim.jobscheduler.io/run-seconds": "30"}
    batch.create_namespaced_job(NS, job_manifest("survivor", annotations=annotations))
    pods = wait_for(
        lambda: job_pods(core, NS, "survivor"),
        lambda pods: len(pods) == 1 and pods[0].status.phase == "Running",
        "the pod to run",
    )
    started = pods[0].status.container_statuses[0].state.running.started_at
    first.stop()

    second = ControllerManager(RestClusterAPI(rest_client), bare_cluster.clock)
    second.start()
    try:
        job = wait_for(lambda: batch.read_namespaced_job("survivor", NS), finished, "the job")
    finally:
        second.stop()

    assert condition(job, "Complete") is not None
    terminated = job_pods(core, NS, "survivor")[0].status.container_statuses[0].state.terminated
    assert terminated.started_at == started
    assert (terminated.finished_at - started).total_seconds() >= 30
