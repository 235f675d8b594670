"""A job whose pods cannot start (image pull failing, unschedulable) past its startup deadline
ends FAILED with that reason, through the real gRPC server on the embedded cluster."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError

from .live import live_server

SIM = "sim.jobscheduler.io/"
DEADLINE = 30  # cluster seconds; 1.5 s of real time at clock speed 20
pytestmark = pytest.mark.clock_speed(20)


@contextmanager
def _client(cluster: Any, **settings: Any) -> Iterator[JobSchedulerClient]:
    # The jobs are steered by sim.jobscheduler.io/ annotations, which must reach their pods.
    with (
        live_server(cluster, pod_annotation_allowed_prefixes=(SIM,), **settings) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20) as c,
    ):
        yield c


@pytest.fixture
def client(cluster: Any) -> Iterator[JobSchedulerClient]:
    with _client(cluster) as c:
        yield c


@pytest.fixture
def defaulting_client(cluster: Any) -> Iterator[JobSchedulerClient]:
    """A server whose operator default is a startup deadline of DEADLINE."""
    with _client(cluster, default_startup_deadline_seconds=DEADLINE) as c:
        yield c


def _job(sim: dict[str, str], deadline: int | None = None) -> pb.ScheduleJobRequest:
    execution = pb.ExecutionOptions()
    if deadline is not None:
        execution.startup_deadline_seconds = deadline
    return pb.ScheduleJobRequest(
        name="stuck",
        container_job=pb.ContainerJobConfig(image="busybox:1.36", command=["true"]),
        annotations={SIM + key: value for key, value in sim.items()},
        execution=execution,
    )


def _wait_for(
    client: JobSchedulerClient, job_id: str, predicate: Callable[[pb.JobInfo], bool]
) -> pb.JobInfo:
    deadline = time.monotonic() + 60
    while True:
        info = client.get_job_status(job_id).job_info
        if predicate(info):
            return info
        assert time.monotonic() < deadline, f"job never got there; last seen {info}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("sim", "reason"),
    [
        ({"image-pull-error": "true"}, "ImagePullBackOff"),
        ({"unschedulable": "true"}, "Unschedulable"),
    ],
)
def test_a_job_stuck_past_its_startup_deadline_fails_with_the_reason(
    client: JobSchedulerClient, sim: dict[str, str], reason: str
) -> None:
    job_id = client.schedule_job(_job(sim, DEADLINE)).job_id
    # First it reads as waiting, with the reason...
    stuck = _wait_for(client, job_id, lambda i: i.reason in {reason, "ErrImagePull"})
    assert stuck.status == pb.JOB_STATUS_PENDING
    # ...then, past the deadline, as failed for that reason.

    failed = _wait_for(client, job_id, lambda i: i.status == pb.JOB_STATUS_FAILED)
    assert failed.reason == reason
    assert f"{DEADLINE} s" in failed.message
    assert failed.execution.startup_deadline_seconds == DEADLINE
    # Its pods are gone, and it stays failed.
    _wait_for(client, job_id, lambda i: i.active == 0)
    assert client.get_job_status(job_id).job_info.status == pb.JOB_STATUS_FAILED


def test_the_operator_default_applies_and_zero_turns_it_off(
    defaulting_client: JobSchedulerClient,
) -> None:
    client = defaulting_client
    defaulted = client.schedule_job(_job({"unschedulable": "true"})).job_id
    waiting = client.schedule_job(_job({"unschedulable": "true"}, deadline=0)).job_id
    healthy = client.schedule_job(_job({"run-seconds": "120"})).job_id

    failed = _wait_for(client, defaulted, lambda i: i.status == pb.JOB_STATUS_FAILED)
    assert failed.reason == "Unschedulable"
    # By then the one without a deadline is just as old and still waits; the one that started
    # is unaffected.
    assert client.get_job_status(waiting).job_info.status == pb.JOB_STATUS_PENDING
    assert client.get_job_status(waiting).job_info.reason == "Unschedulable"
    assert _wait_for(client, healthy, lambda i: i.status != pb.JOB_STATUS_PENDING).status in {
        pb.JOB_STATUS_RUNNING,
        pb.JOB_STATUS_SUCCEEDED,
    }


def test_a_negative_startup_deadline_is_invalid(client: JobSchedulerClient) -> None:
    with pytest.raises(JobSchedulerRpcError) as refused:
        client.schedule_job(_job({}, deadline=-1))
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == ["execution.startup_deadline_seconds"]
    assert client.list_jobs().jobs == []
