"""A small typed Python client for the JobScheduler gRPC API.

    from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
    from jobscheduler.api import jobscheduler_pb2 as pb

    with JobSchedulerClient("localhost:50054") as client:
        reply = client.schedule_job(pb.ScheduleJobRequest(
            name="my-timer",
            timer_job=pb.TimerJobConfig(duration_seconds=30, timer_name="build-timeout"),
        ))
        print(client.get_job_status(reply.job_id).status)

Every method returns the protobuf response; a failed call raises ``JobSchedulerRpcError`` with
the status code, message, request id and the field violations decoded from the rich status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc as pb_grpc

DEFAULT_TARGET = "localhost:50054"
_STATUS_DETAILS_HEADER = "grpc-status-details-bin"
_REQUEST_ID_HEADER = "x-request-id"

T = TypeVar("T")
_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
# The most requests one ScheduleJobs call takes.
MAX_BATCH_ITEMS = 1000


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class JobSchedulerRpcError(Exception):
    """A failed RPC: ``code`` (grpc.StatusCode), ``message``, ``violations``, ``request_id``."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        violations: Sequence[FieldViolation] = (),
        request_id: str = "",
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.violations = list(violations)
        self.request_id = request_id

    @classmethod
    def from_status(cls, status: status_pb2.Status) -> JobSchedulerRpcError:
        """The error one item of a batch (``ScheduleJobs``) was answered with."""
        code = _CODES_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
        return cls(code, status.message, _violations_of(status))

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> JobSchedulerRpcError:
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = (error.details() if hasattr(error, "details") else "") or ""
        violations: list[FieldViolation] = []
        request_id = ""
        trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        for key, value in trailing or ():
            if key == _STATUS_DETAILS_HEADER:
                violations.extend(_violations_from_status(value))
            elif key == _REQUEST_ID_HEADER:
                request_id = str(value)
        return cls(code, message, violations, request_id)

    def describe(self) -> str:
        """Multi-line text for people: code, message, then one line per violation."""
        listed = [f"{v.field}: {v.description}" for v in self.violations]
        if listed and all(item in self.message for item in listed):
            # The message is just the violations joined: show them one per line instead.
            lines = [f"error: {self.code.name}"]
        else:
            lines = [f"error: {self.code.name}: {self.message}"]
        lines.extend(f"  {item}" for item in listed)
        if self.request_id:
            lines.append(f"  (request id {self.request_id})")
        return "\n".join(lines)


def _violations_from_status(raw: bytes) -> list[FieldViolation]:
    return _violations_of(status_pb2.Status.FromString(raw))


def _violations_of(status: status_pb2.Status) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.extend(
                FieldViolation(v.field, v.description) for v in bad_request.field_violations
            )
    return found


@dataclass(frozen=True)
class TlsOptions:
    """TLS to the server: the CA that signed its certificate (None: the system's roots), a
    client certificate and key for mTLS, and the name to expect in the server's certificate
    when it differs from the target host."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None

    def channel(self, target: str) -> grpc.Channel:
        def read(path: str | None) -> bytes | None:
            if path is None:
                return None
            with open(path, "rb") as handle:
                return handle.read()

        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(self.ca_file),
            private_key=read(self.key_file),
            certificate_chain=read(self.cert_file),
        )
        options = [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []
        return grpc.secure_channel(target, credentials, options=options)


class JobSchedulerClient:
    """Blocking client over one channel: plaintext, or TLS with ``tls``; ``token`` is sent as
    ``authorization: Bearer <token>`` on every call (a Kubernetes token: the server reviews
    it). Pass ``channel`` for custom options."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        timeout: float | None = 30.0,
        metadata: Sequence[tuple[str, str]] = (),
        channel: grpc.Channel | None = None,
        token: str | None = None,
        tls: TlsOptions | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self._metadata = tuple(metadata)
        if token:
            self._metadata += (("authorization", f"Bearer {token}"),)
        if channel is None:
            channel = tls.channel(target) if tls is not None else grpc.insecure_channel(target)
        self._channel = channel
        self._stub = pb_grpc.JobSchedulerStub(self._channel)  # type: ignore[no-untyped-call]
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> JobSchedulerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    # Unary RPCs ------------------------------------------------------------------------------

    def schedule_job(self, request: pb.ScheduleJobRequest) -> pb.ScheduleJobResponse:
        return self._unary(self._stub.ScheduleJob, request, pb.ScheduleJobResponse)

    def schedule_jobs(
        self, requests: Iterable[pb.ScheduleJobRequest]
    ) -> list[pb.ScheduleJobResponse | JobSchedulerRpcError]:
        """Schedule up to ``MAX_BATCH_ITEMS`` jobs in one call: one result per request, in
        order, either its job or the error ScheduleJob would have answered for it alone (its
        violations name ``requests[i].…``). A refused batch raises ``JobSchedulerRpcError``."""
        request = pb.ScheduleJobsRequest(requests=list(requests))
        reply = self._unary(self._stub.ScheduleJobs, request, pb.ScheduleJobsResponse)
        return [
            result.job if result.HasField("job") else JobSchedulerRpcError.from_status(result.error)
            for result in reply.results
        ]

    def rerun_job(
        self, job_id: str, namespace: str = "", *, new_job_id: str = ""
    ) -> pb.RerunJobResponse:
        """A new job from ``job_id``'s stored request (``new_job_id``: its id; retrying with
        the same one is safe)."""
        request = pb.RerunJobRequest(job_id=job_id, namespace=namespace, new_job_id=new_job_id)
        return self._unary(self._stub.RerunJob, request, pb.RerunJobResponse)

    def get_job_status(
        self, job_id: str, namespace: str = "", *, fresh: bool = False
    ) -> pb.GetJobStatusResponse:
        """``fresh``: read from the API server, not the server's watch cache (which another
        replica's write reaches a watch delay later)."""
        request = pb.GetJobStatusRequest(job_id=job_id, namespace=namespace, fresh=fresh)
        return self._unary(self._stub.GetJobStatus, request, pb.GetJobStatusResponse)

    def list_jobs(self, request: pb.ListJobsRequest | None = None) -> pb.ListJobsResponse:
        return self._unary(
            self._stub.ListJobs, request or pb.ListJobsRequest(), pb.ListJobsResponse
        )

    def iter_jobs(self, request: pb.ListJobsRequest | None = None) -> Iterator[pb.JobInfo]:
        """Every job matching ``request``, following ``next_page_token`` page by page."""
        page_request = pb.ListJobsRequest()
        if request is not None:
            page_request.CopyFrom(request)
        while True:
            page = self.list_jobs(page_request)
            yield from page.jobs
            if not page.next_page_token:
                return
            page_request.page_token = page.next_page_token

    def cancel_job(self, job_id: str, namespace: str = "") -> pb.CancelJobResponse:
        request = pb.CancelJobRequest(job_id=job_id, namespace=namespace)
        return self._unary(self._stub.CancelJob, request, pb.CancelJobResponse)

    def suspend_job(self, job_id: str, namespace: str = "") -> pb.SuspendJobResponse:
        request = pb.SuspendJobRequest(job_id=job_id, namespace=namespace)
        return self._unary(self._stub.SuspendJob, request, pb.SuspendJobResponse)

    def resume_job(self, job_id: str, namespace: str = "") -> pb.ResumeJobResponse:
        request = pb.ResumeJobRequest(job_id=job_id, namespace=namespace)
        return self._unary(self._stub.ResumeJob, request, pb.ResumeJobResponse)

    def delete_job(self, job_id: str, namespace: str = "") -> pb.DeleteJobResponse:
        request = pb.DeleteJobRequest(job_id=job_id, namespace=namespace)
        return self._unary(self._stub.DeleteJob, request, pb.DeleteJobResponse)

    def list_job_types(self) -> pb.ListJobTypesResponse:
        return self._unary(
            self._stub.ListJobTypes, pb.ListJobTypesRequest(), pb.ListJobTypesResponse
        )

    def list_schedules(
        self, request: pb.ListSchedulesRequest | None = None
    ) -> pb.ListSchedulesResponse:
        return self._unary(
            self._stub.ListSchedules, request or pb.ListSchedulesRequest(), pb.ListSchedulesResponse
        )

    def create_job_template(
        self, template: pb.JobTemplate, namespace: str = "", *, replace: bool = False
    ) -> pb.JobTemplate:
        request = pb.CreateJobTemplateRequest(
            template=template, namespace=namespace, replace=replace
        )
        return self._unary(self._stub.CreateJobTemplate, request, pb.JobTemplate)

    def get_job_template(self, name: str, namespace: str = "") -> pb.JobTemplate:
        request = pb.GetJobTemplateRequest(name=name, namespace=namespace)
        return self._unary(self._stub.GetJobTemplate, request, pb.JobTemplate)

    def list_job_templates(
        self, request: pb.ListJobTemplatesRequest | None = None
    ) -> pb.ListJobTemplatesResponse:
        return self._unary(
            self._stub.ListJobTemplates,
            request or pb.ListJobTemplatesRequest(),
            pb.ListJobTemplatesResponse,
        )

    def delete_job_template(self, name: str, namespace: str = "") -> pb.DeleteJobTemplateResponse:
        request = pb.DeleteJobTemplateRequest(name=name, namespace=namespace)
        return self._unary(self._stub.DeleteJobTemplate, request, pb.DeleteJobTemplateResponse)

    def health(self, service: str = "") -> int:
        """The grpc.health.v1 status of ``service`` ("" = the whole server)."""
        request = health_pb2.HealthCheckRequest(service=service)
        response = self._unary(self._health.Check, request, health_pb2.HealthCheckResponse)
        return int(response.status)

    # Streaming RPCs: no default timeout (they last as long as the job); iterate to receive,
    # close() them (from any thread) to cancel. ----------------------------------------------

    def watch_job(
        self, job_id: str, namespace: str = "", *, timeout: float | None = None
    ) -> ResponseStream[pb.JobEvent]:
        request = pb.WatchJobRequest(job_id=job_id, namespace=namespace)
        return self._stream(self._stub.WatchJob, request, timeout)

    def watch_jobs(
        self, request: pb.WatchJobsRequest | None = None, *, timeout: float | None = None
    ) -> ResponseStream[pb.JobEvent]:
        return self._stream(self._stub.WatchJobs, request or pb.WatchJobsRequest(), timeout)

    def get_job_logs(
        self,
        job_id: str,
        namespace: str = "",
        *,
        follow: bool = False,
        tail_lines: int = 0,
        limit_bytes: int = 0,
        since_seconds: int = 0,
        previous: bool = False,
        timeout: float | None = None,
    ) -> ResponseStream[pb.LogChunk]:
        """``previous``: only the failed attempts a retry replaced."""
        request = pb.GetJobLogsRequest(
            job_id=job_id,
            namespace=namespace,
            follow=follow,
            tail_lines=tail_lines,
            limit_bytes=limit_bytes,
            since_seconds=since_seconds,
            previous=previous,
        )
        return self._stream(self._stub.GetJobLogs, request, timeout)

    # -----------------------------------------------------------------------------------------

    def _unary(self, method: Callable[..., Any], request: Any, response_type: type[T]) -> T:
        try:
            response = method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise JobSchedulerRpcError.from_rpc_error(error) from None
        assert isinstance(response, response_type)
        return response

    def _stream(
        self, method: Callable[..., Any], request: Any, timeout: float | None
    ) -> ResponseStream[Any]:
        return ResponseStream(method(request, timeout=timeout, metadata=self._metadata))


class ResponseStream(Generic[T]):
    """The messages of a server stream. Iterate to receive; ``close()`` (from any thread) or
    dropping the last reference cancels the call on the server too."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._closed = False

    def __iter__(self) -> ResponseStream[T]:
        return self

    def __next__(self) -> T:
        try:
            message: T = next(self._call)
        except grpc.RpcError as error:
            if self._closed and error.code() is grpc.StatusCode.CANCELLED:
                raise StopIteration from None  # we cancelled it: a normal end
            raise JobSchedulerRpcError.from_rpc_error(error) from None
        return message

    def close(self) -> None:
        self._closed = True
        self._call.cancel()

    def __enter__(self) -> ResponseStream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
