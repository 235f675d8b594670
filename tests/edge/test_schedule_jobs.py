"""ScheduleJobs through the real gRPC server and service, against the embedded cluster."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.config import Settings
from jobscheduler.edge.server import Server
from jobscheduler.service import build_service
from jobscheduler.service.batch import NOT_STARTED_MESSAGE

from .live import live_server

Result = pb.ScheduleJobResponse | JobSchedulerRpcError


def _timer(job_id: str = "", duration: int = 60) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id, name="t", timer_job=pb.TimerJobConfig(duration_seconds=duration)
    )


def _container(job_id: str = "", image: str = "busybox") -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id, name="c", container_job=pb.ContainerJobConfig(image=image)
    )


def _job_names(cluster: Any) -> set[str]:
    namespace = getattr(cluster, "namespace", "default")
    return {job["metadata"]["name"] for job in cluster.api.list("jobs", namespace)["items"]}


@contextmanager
def _client(cluster: Any, timeout: float = 30, **settings: Any) -> Iterator[JobSchedulerClient]:
    with (
        live_server(cluster, **settings) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=timeout) as client,
    ):
        yield client


@pytest.fixture
def client(cluster: Any) -> Iterator[JobSchedulerClient]:
    with _client(cluster) as c:
        yield c


def _error(result: Result) -> JobSchedulerRpcError:
    assert isinstance(result, JobSchedulerRpcError), result
    return result


def test_a_mixed_batch_is_answered_in_order_with_each_items_own_violations(
    cluster: Any, client: JobSchedulerClient
) -> None:
    bad_timer = _timer(duration=0)
    bad_timer.timer_job.log_level = "loud"
    batch = [_timer("job-mix0"), bad_timer, _container("job-mix2"), _container(image="")]

    results = client.schedule_jobs(batch)

    assert len(results) == 4
    first, second, third, fourth = results
    assert isinstance(first, pb.ScheduleJobResponse) and first.job_id == "job-mix0"
    assert isinstance(third, pb.ScheduleJobResponse) and third.job_id == "job-mix2"
    assert third.job_info.job_type == "container"
    # Each failed item answers what ScheduleJob answers for it alone, at its own path.
    for index, result in ((1, second), (3, fourth)):
        with pytest.raises(JobSchedulerRpcError) as alone:
            client.schedule_job(batch[index])
        error = _error(result)
        assert error.code is alone.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [(v.field, v.description) for v in error.violations] == [
            (f"requests[{index}].{v.field}", v.description) for v in alone.value.violations
        ]
    assert {v.field for v in _error(second).violations} == {
        "requests[1].timer_job.duration_seconds",
        "requests[1].timer_job.log_level",
    }
    assert _job_names(cluster) == {"job-mix0", "job-mix2"}


def test_a_retried_batch_returns_the_same_jobs(cluster: Any, client: JobSchedulerClient) -> None:
    batch = [_timer(f"job-retry{i}", 30 + i) for i in range(5)]
    first = client.schedule_jobs(batch)
    again = client.schedule_jobs(batch)
    for before, after in zip(first, again, strict=True):
        assert isinstance(before, pb.ScheduleJobResponse)
        assert isinstance(after, pb.ScheduleJobResponse)
        assert after.job_id == before.job_id
        assert after.job_info.create_time == before.job_info.create_time
        assert after.message == "already scheduled by an identical request"
    assert _job_names(cluster) == {f"job-retry{i}" for i in range(5)}
    # The same id for a different request is refused for that item only.
    changed = [_timer("job-retry0", 999), _timer("job-retry5")]
    conflict, fresh = client.schedule_jobs(changed)
    assert _error(conflict).code is grpc.StatusCode.ALREADY_EXISTS
    assert isinstance(fresh, pb.ScheduleJobResponse)


@pytest.mark.parametrize("count", [0, 1001])
def test_an_empty_or_oversized_batch_is_refused_naming_requests(
    cluster: Any, client: JobSchedulerClient, count: int
) -> None:
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_jobs([_timer(f"job-big{i}") for i in range(count)])
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == ["requests"]
    assert _job_names(cluster) == set()


def test_a_thousand_items_are_accepted(cluster: Any, client: JobSchedulerClient) -> None:
    results = client.schedule_jobs([_timer() for _ in range(1000)])
    assert all(isinstance(r, pb.ScheduleJobResponse) for r in results)
    assert len({r.job_id for r in results if isinstance(r, pb.ScheduleJobResponse)}) == 1000
    assert len(_job_names(cluster)) == 1000


class _CreateCounter:
    """Counts the job creates the service has on the wire at once."""

    def __init__(self, call_api: Callable[..., Any]) -> None:
        self._call_api = call_api
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def __call__(self, path: str, method: str, *args: Any, **kwargs: Any) -> Any:
        counted = method == "POST" and path.endswith("/jobs")
        if counted:
            with self._lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
        try:
            return self._call_api(path, method, *args, **kwargs)
        finally:
            if counted:
                with self._lock:
                    self.in_flight -= 1


def test_creates_run_concurrently_up_to_the_setting(embedded_cluster: Any) -> None:
    api_client = embedded_cluster.api_client()
    counter = _CreateCounter(api_client.call_api)
    api_client.call_api = counter
    settings = Settings(in_cluster=False, schedule_jobs_concurrency=3)
    service = build_service(settings, clock=embedded_cluster.clock, api_client=api_client)
    server = Server(service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    # Each create takes a while in the API server, so the pool's workers overlap.
    embedded_cluster.faults.add_latency(0.5, verb="create", resource="jobs")
    try:
        with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=60) as client:
            results = client.schedule_jobs([_timer() for _ in range(12)])
    finally:
        embedded_cluster.faults.clear()
        server.stop(grace=0)
        api_client.close()
    assert all(isinstance(r, pb.ScheduleJobResponse) for r in results)
    assert counter.peak == 3


def test_failing_creates_answer_their_items_while_the_others_succeed(
    embedded_cluster: Any,
) -> None:
    faults = embedded_cluster.faults
    # One worker: the items reach Kubernetes in order, so the faults hit known items.
    with _client(embedded_cluster, k8s_max_retries=0, schedule_jobs_concurrency=1) as client:
        faults.fail_next(1, verb="create", resource="jobs", status=503)
        faults.fail_next(1, verb="create", resource="jobs", status=429)
        try:
            results = client.schedule_jobs([_timer(f"job-fail{i}") for i in range(4)])
        finally:
            faults.clear()
    codes = [r.code if isinstance(r, JobSchedulerRpcError) else grpc.StatusCode.OK for r in results]
    assert codes == [
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.OK,
        grpc.StatusCode.OK,
    ]
    assert all("Status" not in _error(r).message for r in results[:2])  # no raw Kubernetes body
    assert _job_names(embedded_cluster) == {"job-fail2", "job-fail3"}


def test_items_not_started_by_the_deadline_answer_deadline_exceeded(
    embedded_cluster: Any,
) -> None:
    embedded_cluster.faults.add_latency(1.0, verb="create", resource="jobs")
    batch = [_timer(f"job-late{i}") for i in range(12)]
    try:
        with _client(embedded_cluster, timeout=4, schedule_jobs_concurrency=1) as client:
            results = client.schedule_jobs(batch)  # answered in time: the RPC itself is OK
    finally:
        embedded_cluster.faults.clear()
    assert len(results) == 12
    assert isinstance(results[0], pb.ScheduleJobResponse)
    not_started = [
        f"job-late{i}"
        for i, r in enumerate(results)
        if isinstance(r, JobSchedulerRpcError) and r.message == NOT_STARTED_MESSAGE
    ]
    assert f"job-late{len(batch) - 1}" in not_started
    for result in results:
        assert isinstance(result, pb.ScheduleJobResponse) or (
            result.code is grpc.StatusCode.DEADLINE_EXCEEDED
        )
    created = _job_names(embedded_cluster)
    assert {r.job_id for r in results if isinstance(r, pb.ScheduleJobResponse)} <= created
    assert created.isdisjoint(not_started)  # never touched Kubernetes


def test_one_log_line_per_batch_with_its_item_counts(
    client: JobSchedulerClient, server_log: io.StringIO
) -> None:
    client.schedule_jobs([_timer(), _timer(duration=0), _timer()])
    lines = [json.loads(line) for line in server_log.getvalue().splitlines() if line.strip()]
    (rpc,) = [line for line in lines if line.get("event") == "rpc"]
    assert rpc["method"] == "/jobscheduler.JobScheduler/ScheduleJobs"
    assert rpc["code"] == "OK"
    assert (rpc["items"], rpc["items_failed"]) == (3, 1)
