"""Health follows Kubernetes reachability and shutdown; SIGTERM-style stop drains in-flight work."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server

from .fakes import FakeJobService
from .waiting import wait_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_health_is_not_serving_while_kubernetes_is_unreachable(
    server: Server, client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    assert client.health() == SERVING
    assert _http_status(server.metrics_port, "/readyz") == 200

    fake_service.reachable = False
    wait_until(lambda: client.health() == NOT_SERVING)
    assert client.health("jobscheduler.JobScheduler") == NOT_SERVING
    assert _http_status(server.metrics_port, "/readyz") == 503
    # The process itself is fine: liveness must not restart it for a Kubernetes outage.
    assert _http_status(server.metrics_port, "/healthz") == 200

    fake_service.reachable = True
    wait_until(lambda: client.health() == SERVING)
    assert _http_status(server.metrics_port, "/readyz") == 200


def test_a_failing_reachability_check_counts_as_unreachable(
    server: Server, client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    fake_service.reachability_error = ConnectionError("no route to host")
    wait_until(lambda: client.health() == NOT_SERVING)


def test_unknown_paths_are_404(server: Server) -> None:
    assert _http_status(server.metrics_port, "/nope") == 404


def test_shutdown_drains_in_flight_rpcs_and_turns_health_not_serving(
    fake_service: FakeJobService,
) -> None:
    server = Server(fake_service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    target = f"127.0.0.1:{server.port}"
    channel = grpc.insecure_channel(target)
    health_updates = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service="jobscheduler.JobScheduler")
    )
    assert next(health_updates).status == SERVING

    fake_service.gate = threading.Event()
    results: list[object] = []

    def slow_call() -> None:
        with JobSchedulerClient(target) as client:
            results.append(client.get_job_status("job-inflight"))

    caller = threading.Thread(target=slow_call)
    caller.start()
    assert fake_service.entered.wait(10)

    stopper = threading.Thread(target=server.stop, kwargs={"grace": 30})
    stopper.start()
    # A client watching health learns at once that this replica is going away.
    assert next(health_updates).status == NOT_SERVING
    wait_until(lambda: not server.accepting)
    # New RPCs are refused while the in-flight one is still draining (gRPC answers UNAVAILABLE
    # or CANCELLED depending on how far the server's shutdown has got); none reach the service.
    try:
        with JobSchedulerClient(target) as late, pytest.raises(JobSchedulerRpcError) as refused:
            late.list_jobs()
        assert refused.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        assert "list_jobs" not in [name for name, _ in fake_service.requests]
        assert stopper.is_alive()
        assert not fake_service.stopped
    finally:
        fake_service.gate.set()

    fake_service.gate.set()
    caller.join(10)
    stopper.join(30)
    health_updates.cancel()
    channel.close()
    assert len(results) == 1
    assert isinstance(results[0], pb.GetJobStatusResponse)
    assert results[0].job_id == "job-inflight"
    assert fake_service.stopped


def test_shutdown_ends_open_watch_streams_cleanly(fake_service: FakeJobService) -> None:
    server = Server(fake_service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    fake_service.events = [pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="j"))]
    fake_service.stream_until_inactive = True
    received: list[pb.JobEvent] = []
    failures: list[Exception] = []

    def watch() -> None:
        with JobSchedulerClient(f"127.0.0.1:{server.port}") as client:
            try:
                received.extend(client.watch_jobs())
            except JobSchedulerRpcError as error:
                failures.append(error)

    watcher = threading.Thread(target=watch)
    watcher.start()
    wait_until(lambda: len(received) == 1)
    # A grace far longer than the test: the stream must end because it sees the drain.
    stopper = threading.Thread(target=server.stop, kwargs={"grace": 60})
    stopper.start()
    watcher.join(30)
    stopper.join(30)
    assert not watcher.is_alive() and not stopper.is_alive()
    assert fake_service.stream_ended.is_set()
    assert failures == []


def test_stop_is_idempotent(fake_service: FakeJobService) -> None:
    server = Server(fake_service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    server.stop(grace=0)
    server.stop(grace=0)
    assert server.wait_until_stopped(0)
