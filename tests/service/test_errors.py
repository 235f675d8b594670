"""Every failure of Kubernetes reaches the caller as the right domain error, through the
service, with faults injected into the embedded cluster's HTTP front end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService

from .conftest import make_service
from .support import container, timer


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def quick_service(embedded_cluster: Any, waits: list[float]) -> Iterator[JobService]:
    """A service whose retry waits are recorded instead of slept."""
    svc, client = make_service(embedded_cluster, sleep=waits.append)
    yield svc
    svc.stop()
    client.close()


def test_schedule_rides_out_throttling(
    quick_service: JobService, embedded_cluster: Any, waits: list[float]
) -> None:
    embedded_cluster.faults.fail_next(2, verb="create", resource="jobs", status=429, retry_after=2)
    response = quick_service.schedule_job(timer())
    assert response.status == pb.JOB_STATUS_PENDING
    assert waits == [2.0, 2.0]


def test_schedule_reports_unavailable_after_bounded_retries(
    quick_service: JobService, embedded_cluster: Any, waits: list[float]
) -> None:
    embedded_cluster.faults.fail_next(10, verb="create", resource="jobs", status=503)
    with pytest.raises(errors.Unavailable):
        quick_service.schedule_job(timer())
    assert len(waits) == 3
    embedded_cluster.faults.clear()
    assert quick_service.list_jobs(pb.ListJobsRequest()).jobs == []


def test_status_reads_honour_the_callers_deadline(
    quick_service: JobService, embedded_cluster: Any
) -> None:
    job_id = quick_service.schedule_job(container()).job_id
    embedded_cluster.faults.hang_next(1, verb="get", resource="jobs", seconds=10)
    token = requestctx.deadline.set(time.monotonic() + 0.3)
    try:
        with pytest.raises(errors.DeadlineExceeded):
            quick_service.get_job_status(pb.GetJobStatusRequest(job_id=job_id, fresh=True))
    finally:
        requestctx.deadline.reset(token)


def test_permission_denied_is_reported_as_such(
    quick_service: JobService, embedded_cluster: Any
) -> None:
    embedded_cluster.faults.fail_next(1, verb="create", resource="jobs", status=403)
    with pytest.raises(errors.PermissionDenied):
        quick_service.schedule_job(timer())


def test_watches_reconnect_after_a_server_error(
    quick_service: JobService, embedded_cluster: Any
) -> None:
    job_id = quick_service.schedule_job(
        container(execution=pb.ExecutionOptions(start_suspended=True))
    ).job_id
    stream = quick_service.watch_job(pb.WatchJobRequest(job_id=job_id), lambda: True)
    assert next(stream).job.status == pb.JOB_STATUS_SUSPENDED
    embedded_cluster.faults.fail_next(2, verb="watch", resource="jobs", status=500)
    quick_service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    assert [e.job.status for e in stream][-1] == pb.JOB_STATUS_SUCCEEDED


# A starting job's status is written several times a second; a soak under load saw three
# conflicts in a row turn a CancelJob into ABORTED: it tries 5 times, as client-go does.
@pytest.mark.parametrize("conflicts", [1, 4])
def test_cancel_retries_while_the_job_changes_underneath(
    quick_service: JobService, embedded_cluster: Any, conflicts: int
) -> None:
    job_id = quick_service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    embedded_cluster.faults.fail_next(conflicts, verb="patch", resource="jobs", status=409)
    response = quick_service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    assert response.job_info.status == pb.JOB_STATUS_CANCELLED


def test_list_reports_an_unavailable_cluster(
    quick_service: JobService, embedded_cluster: Any
) -> None:
    # A namespace the cache does not hold is listed from the API server.
    embedded_cluster.faults.drop_next(10, verb="list", resource="jobs")
    with pytest.raises(errors.Unavailable):
        quick_service.list_jobs(pb.ListJobsRequest(namespace="not-cached"))


def test_cancel_gives_up_when_the_job_keeps_changing(
    quick_service: JobService, embedded_cluster: Any
) -> None:
    job_id = quick_service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    embedded_cluster.faults.fail_next(10, verb="patch", resource="jobs", status=409)
    with pytest.raises(errors.Conflict, match="kept changing"):
        quick_service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    assert errors.Conflict.code == "ABORTED"


def test_logs_of_a_schedule_are_a_failed_precondition(quick_service: JobService) -> None:
    quick_service.schedule_job(container(job_id="nightly", schedule=pb.Schedule(cron="@daily")))
    with pytest.raises(errors.FailedPrecondition, match="read the logs of one of its runs"):
        quick_service.get_job_logs(pb.GetJobLogsRequest(job_id="nightly"), lambda: True)
