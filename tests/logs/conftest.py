"""Services that keep logs (their finished-job keeper started), and a look at what they kept."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService
from tests.service.conftest import make_service
from tests.service.support import WAIT_SECONDS

Started = Callable[..., JobService]


@pytest.fixture
def started(cluster: Any) -> Iterator[Started]:
    """Makes started services (``make_service`` overrides); all are stopped at the end."""
    made: list[tuple[JobService, Any]] = []

    def start(**overrides: Any) -> JobService:
        service, client = make_service(cluster, **overrides)
        made.append((service, client))
        service.start()
        return service

    try:
        yield start
    finally:
        for service, client in made:
            service.stop()
            client.close()


@pytest.fixture
def core(cluster: Any) -> Iterator[kubernetes.client.CoreV1Api]:
    client = cluster.api_client()
    try:
        yield kubernetes.client.CoreV1Api(client)
    finally:
        client.close()


def namespace_of(cluster: Any) -> str:
    return str(getattr(cluster, "namespace", "default"))


def until(what: str, check: Callable[[], Any]) -> Any:
    """``check()``'s first truthy answer; fails after WAIT_SECONDS (a bound on a hang)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def kept_configmap(
    core: kubernetes.client.CoreV1Api, namespace: str, job_id: str
) -> kubernetes.client.V1ConfigMap | None:
    try:
        return core.read_namespaced_config_map(f"{job_id}.logs", namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def pods_of(core: kubernetes.client.CoreV1Api, namespace: str, job_id: str) -> list[Any]:
    selector = f"batch.kubernetes.io/job-name={job_id}"
    return list(core.list_namespaced_pod(namespace, label_selector=selector).items)


def delete_pods(core: kubernetes.client.CoreV1Api, namespace: str, job_id: str) -> None:
    """As the pod garbage collector or an eviction would: the Job stays, its pods go."""
    for pod in pods_of(core, namespace, job_id):
        core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)
    until(f"the pods of {job_id} are gone", lambda: not pods_of(core, namespace, job_id))


def logs(service: JobService, job_id: str, **fields: Any) -> list[pb.LogChunk]:
    req = pb.GetJobLogsRequest(job_id=job_id, **fields)
    return list(service.get_job_logs(req, lambda: True))
