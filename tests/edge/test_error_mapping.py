"""Every domain error reaches the caller as its gRPC status, decoded by the typed client."""

from __future__ import annotations

import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc as pb_grpc
from jobscheduler.client import FieldViolation, JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.interceptors import INTERNAL_MESSAGE
from jobscheduler.edge.server import Server

from .fakes import FakeJobService

TIMER = pb.ScheduleJobRequest(name="t", timer_job=pb.TimerJobConfig(duration_seconds=5))


def test_invalid_argument_carries_every_field_violation(
    client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    fake_service.errors["schedule_job"] = errors.InvalidArgument(
        [
            errors.FieldViolation("name", "must not be empty"),
            errors.FieldViolation("timer_job.duration_seconds", "must be between 1 and 86400"),
        ]
    )
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_job(TIMER)
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.violations == [
        FieldViolation("name", "must not be empty"),
        FieldViolation("timer_job.duration_seconds", "must be between 1 and 86400"),
    ]
    assert "timer_job.duration_seconds" in caught.value.message
    assert caught.value.request_id.startswith("req-")


def test_bad_request_details_are_standard_rich_status(
    server: Server, fake_service: FakeJobService
) -> None:
    """Stubs in any language read the violations with the stock grpc-status helpers."""
    fake_service.errors["schedule_job"] = errors.InvalidArgument(
        [errors.FieldViolation("name", "must not be empty")]
    )
    with (
        grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel,
        pytest.raises(grpc.RpcError) as caught,
    ):
        pb_grpc.JobSchedulerStub(channel).ScheduleJob(TIMER)
    status = rpc_status.from_call(caught.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("name", "must not be empty")
    ]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFound("job job-x not found"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExists("job-x exists with another request"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.FailedPrecondition("job-x already finished"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.Unavailable("kubernetes unreachable"), grpc.StatusCode.UNAVAILABLE),
        (errors.DeadlineExceeded("kubernetes too slow"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (errors.Conflict("changed concurrently"), grpc.StatusCode.ABORTED),
        (errors.PermissionDenied("forbidden by RBAC"), grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_domain_errors_keep_their_code_and_message(
    client: JobSchedulerClient,
    fake_service: FakeJobService,
    error: errors.JobSchedulerError,
    code: grpc.StatusCode,
) -> None:
    fake_service.errors["cancel_job"] = error
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.cancel_job("job-x")
    assert caught.value.code is code
    assert caught.value.message == error.message
    assert caught.value.violations == []


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("HTTP 500: {'kind': 'Status', 'message': 'etcdserver: secret detail'}"),
        KeyError("metadata"),
        errors.Internal("gateway bug: raw body {'secret': 1}"),
    ],
)
def test_unexpected_errors_are_internal_with_a_fixed_message(
    client: JobSchedulerClient, fake_service: FakeJobService, error: Exception
) -> None:
    fake_service.errors["get_job_status"] = error
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.get_job_status("job-x")
    assert caught.value.code is grpc.StatusCode.INTERNAL
    assert caught.value.message == INTERNAL_MESSAGE
    assert "secret" not in str(caught.value)


def test_errors_in_the_middle_of_a_stream_end_it_with_their_status(
    client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    fake_service.errors["get_job_logs_midstream"] = errors.Unavailable("kubelet gone")
    received: list[str] = []
    with pytest.raises(JobSchedulerRpcError) as caught:
        received.extend(chunk.text for chunk in client.get_job_logs("job-1"))
    assert received == ["hello\n"]
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE


def test_stream_that_fails_at_once_reports_not_found(
    client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    fake_service.errors["watch_job"] = errors.NotFound("job job-nope not found")
    with pytest.raises(JobSchedulerRpcError) as caught:
        list(client.watch_job("job-nope"))
    assert caught.value.code is grpc.StatusCode.NOT_FOUND


def test_work_that_outlives_the_client_deadline_is_deadline_exceeded(
    server: Server, fake_service: FakeJobService
) -> None:
    """A gateway call cut short by the caller's deadline (any exception after it passed) is
    DEADLINE_EXCEEDED, not INTERNAL."""
    fake_service.gate = _SleepGate(0.3)  # type: ignore[assignment]
    fake_service.errors["list_jobs"] = TimeoutError("read timed out")
    with (
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=0.1) as client,
        pytest.raises(JobSchedulerRpcError) as caught,
    ):
        client.list_jobs()
    assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED


def test_status_is_never_unknown(client: JobSchedulerClient, fake_service: FakeJobService) -> None:
    class OddError(errors.JobSchedulerError):
        code = "UNKNOWN"

    fake_service.errors["delete_job"] = OddError("odd")
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.delete_job("job-x")
    assert caught.value.code is grpc.StatusCode.INTERNAL


class _SleepGate:
    """Stands in for the fake's ``gate``: the RPC takes ``seconds`` before answering."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def wait(self, _timeout: float) -> bool:
        time.sleep(self._seconds)
        return True
