"""The service's job lifecycles on a real cluster: what users see through the gRPC API."""

from __future__ import annotations

import time

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc

from .conftest import IMAGE

pytestmark = pytest.mark.e2e

# Real pods: image start, scheduling and retries take a while on a busy node.
SETTLE_SECONDS = 180
FINAL = {pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED}

Stub = jobscheduler_pb2_grpc.JobSchedulerStub


def python_job(
    namespace: str, name: str, code: str, simulate: dict[str, str] | None = None, **execution: int
) -> pb.ScheduleJobRequest:
    """A job running `code` in the project image. `simulate` sets what the embedded cluster's
    simulated kubelet does instead (it runs no containers); real clusters ignore the annotations,
    so the suite also runs against `jobscheduler cluster` to check the tests themselves."""
    annotations = {f"sim.jobscheduler.io/{key}": value for key, value in (simulate or {}).items()}
    return pb.ScheduleJobRequest(
        name=name,
        namespace=namespace,
        annotations=annotations,
        container_job=pb.ContainerJobConfig(image=IMAGE, command=["python", "-c", code]),
        execution=pb.ExecutionOptions(**execution),
    )


def wait_for_status(
    stub: Stub, namespace: str, job_id: str, wanted: set[int]
) -> pb.GetJobStatusResponse:
    """Poll until the job reaches one of `wanted` (or a final state, which then fails the test)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    request = pb.GetJobStatusRequest(job_id=job_id, namespace=namespace)
    while True:
        reply = stub.GetJobStatus(request, timeout=10)
        if reply.status in wanted:
            return reply
        if reply.status in FINAL or time.monotonic() > deadline:
            pytest.fail(
                f"job {job_id} is {pb.JobStatus.Name(reply.status)} "
                f"({reply.job_info.reason}: {reply.job_info.message}), "
                f"waited for {[pb.JobStatus.Name(s) for s in wanted]}"
            )
        time.sleep(1)


def test_container_job_runs_to_success(stub: Stub, namespace: str) -> None:
    scheduled = stub.ScheduleJob(python_job(namespace, "hello", "print('hello')"), timeout=30)
    assert scheduled.job_id.startswith("job-")
    done = wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_SUCCEEDED})
    info = done.job_info
    assert info.namespace == namespace
    assert info.job_type == "container"
    assert info.succeeded >= 1
    assert info.completed_at >= info.started_at > 0


def test_failing_job_is_failed_with_the_reason(stub: Stub, namespace: str) -> None:
    request = python_job(
        namespace, "fails", "import sys; sys.exit(3)", {"exit-code": "3"}, max_retries=0
    )
    scheduled = stub.ScheduleJob(request, timeout=30)
    failed = wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_FAILED})
    assert failed.job_info.reason == "BackoffLimitExceeded"
    assert failed.job_info.failed >= 1


def test_cancelled_job_reads_back_as_cancelled(stub: Stub, namespace: str) -> None:
    request = python_job(
        namespace, "sleeper", "import time; time.sleep(600)", {"run-seconds": "600"}
    )
    scheduled = stub.ScheduleJob(request, timeout=30)
    wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_RUNNING})
    cancelled = stub.CancelJob(
        pb.CancelJobRequest(job_id=scheduled.job_id, namespace=namespace), timeout=30
    )
    assert cancelled.success
    assert wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_CANCELLED}).status == (
        pb.JOB_STATUS_CANCELLED
    )
    # Idempotent: cancelling again is still a success, not an error.
    assert stub.CancelJob(
        pb.CancelJobRequest(job_id=scheduled.job_id, namespace=namespace), timeout=30
    ).success


def test_list_shows_the_namespace_jobs_newest_first(stub: Stub, namespace: str) -> None:
    ids = []
    for index in range(3):
        request = python_job(namespace, f"listed-{index}", "print('listed')")
        ids.append(stub.ScheduleJob(request, timeout=30).job_id)
        time.sleep(1.1)  # created_at has one-second resolution; keep the order observable
    listed = stub.ListJobs(pb.ListJobsRequest(namespace=namespace, page_size=2), timeout=30)
    assert [job.job_id for job in listed.jobs] == [ids[2], ids[1]]
    assert listed.next_page_token
    rest = stub.ListJobs(
        pb.ListJobsRequest(namespace=namespace, page_size=2, page_token=listed.next_page_token),
        timeout=30,
    )
    assert [job.job_id for job in rest.jobs] == [ids[0]]
