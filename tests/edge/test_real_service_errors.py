"""Error paths of the real service, as a gRPC client sees them (embedded cluster behind it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server

from .live import live_server
from .waiting import wait_until


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    with live_server(cluster) as srv:
        yield srv


@pytest.fixture
def client(server: Server) -> Iterator[JobSchedulerClient]:
    with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20) as c:
        yield c


def _timer(job_id: str = "", duration: int = 60, name: str = "t") -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id,
        name=name,
        timer_job=pb.TimerJobConfig(duration_seconds=duration, timer_name="n"),
    )


def test_invalid_request_lists_every_violation(client: JobSchedulerClient) -> None:
    request = _timer(duration=0)
    request.timer_job.log_level = "loud"
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_job(request)
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for v in caught.value.violations}
    assert {"timer_job.duration_seconds", "timer_job.log_level"} <= fields


def test_missing_job_is_not_found(client: JobSchedulerClient) -> None:
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.get_job_status("job-abc123")
    assert caught.value.code is grpc.StatusCode.NOT_FOUND


def test_same_id_for_a_different_request_is_already_exists(client: JobSchedulerClient) -> None:
    first = client.schedule_job(_timer("job-dup1", 60))
    # A retry of the same request is fine: same job back.
    assert client.schedule_job(_timer("job-dup1", 60)).job_id == first.job_id
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_job(_timer("job-dup1", 120))
    assert caught.value.code is grpc.StatusCode.ALREADY_EXISTS


def test_cancelling_a_finished_job_is_failed_precondition(client: JobSchedulerClient) -> None:
    reply = client.schedule_job(
        pb.ScheduleJobRequest(
            name="quick",
            container_job=pb.ContainerJobConfig(image="busybox", command=["true"]),
        )
    )
    wait_until(lambda: client.get_job_status(reply.job_id).status == pb.JOB_STATUS_SUCCEEDED, 30)
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.cancel_job(reply.job_id)
    assert caught.value.code is grpc.StatusCode.FAILED_PRECONDITION


def test_kubernetes_failing_is_unavailable(cluster: Any, client: JobSchedulerClient) -> None:
    faults = cluster.faults
    faults.fail_next(20, verb="create", resource="jobs", status=503)
    try:
        with pytest.raises(JobSchedulerRpcError) as caught:
            client.schedule_job(_timer())
    finally:
        faults.clear()
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert "Status" not in caught.value.message  # never a raw Kubernetes body


def test_slow_kubernetes_past_the_client_deadline_is_deadline_exceeded(
    cluster: Any, server: Server
) -> None:
    faults = cluster.faults
    faults.hang_next(5, verb="get", resource="jobs", seconds=3)
    try:
        with (
            JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=0.5) as client,
            pytest.raises(JobSchedulerRpcError) as caught,
        ):
            # A namespace the watch cache does not hold: the read goes to the API server.
            client.get_job_status("job-slow", namespace="not-cached")
    finally:
        faults.clear()
    assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED


def test_health_follows_the_real_cluster(embedded_cluster: Any, client: JobSchedulerClient) -> None:
    assert client.health() == health_pb2.HealthCheckResponse.SERVING
    embedded_cluster.stop()  # the API server goes away; the service stays up
    wait_until(lambda: client.health() == health_pb2.HealthCheckResponse.NOT_SERVING, 30)
    # Reads come from the watch cache until it has been cut off past its staleness limit,
    # then from the API server, which is gone.
    failures: list[JobSchedulerRpcError] = []

    def list_fails() -> bool:
        try:
            client.list_jobs()
        except JobSchedulerRpcError as exc:
            failures.append(exc)
            return True
        return False

    wait_until(list_fails, 60)
    assert failures[-1].code is grpc.StatusCode.UNAVAILABLE
