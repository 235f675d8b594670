"""One server interceptor for every JobScheduler RPC: context, errors, metrics, one log line.

For each call of ``jobscheduler.JobScheduler`` (unary and server-streaming):

1. request context: the request id (from ``x-request-id`` metadata, or generated) is echoed in
   the initial and trailing metadata and bound into the log context; the caller's deadline goes
   into ``requestctx.deadline`` so the Kubernetes gateway can bound its calls by it;
2. error translation, at this one place: a ``JobSchedulerError`` becomes its status code and
   message (INVALID_ARGUMENT carries ``google.rpc.BadRequest`` field violations in the rich
   status details); anything else is logged with its traceback and answered INTERNAL with a
   fixed message, or DEADLINE_EXCEEDED when the caller's deadline has passed. Never UNKNOWN;
3. go-grpc-prometheus metrics (started, handled by code, handling seconds);
4. one canonical log line: method, code, duration_ms, job_id, request_id, peer;
5. access control, when the server has a guard (``edge.auth.hook``): it runs after the request
   context is set and before the handler, and its refusals are answered like any domain error.

Health and reflection pass through untouched: their probes would drown the RPC log, and the
non-blocking health ``Watch`` has a calling convention of its own.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Generator, Iterator

import grpc
import structlog
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from jobscheduler import requestctx, tracing
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.edge.auth.hook import Guard, admit
from jobscheduler.errors import (
    FieldViolation,
    InvalidArgument,
    JobSchedulerError,
    ResourceExhausted,
)
from jobscheduler.logs import get_logger
from jobscheduler.metrics import (
    BATCH_ITEMS_HANDLED,
    GRPC_SERVER_HANDLED,
    GRPC_SERVER_HANDLING_SECONDS,
    GRPC_SERVER_MSG_SENT,
    GRPC_SERVER_STARTED,
)

SERVICE_NAME = "jobscheduler.JobScheduler"
REQUEST_ID_HEADER = "x-request-id"
INTERNAL_MESSAGE = "internal error; the server log has the details"
# A deadline further away than this (a year) is no deadline at all.
NO_DEADLINE_SECONDS = 365 * 24 * 3600.0
DEADLINE_MESSAGE = "the deadline set by the client passed before the request completed"

# What one INVALID_ARGUMENT may carry. The status travels in trailing metadata, which clients
# refuse past 8 KiB (soft) / 16 KiB (hard) by default: the details (base64 on the wire) and the
# message (percent-encoded past ASCII, up to 12 bytes a character) must stay well inside that
# however large the request, or the caller gets RESOURCE_EXHAUSTED instead of its violations.
MAX_VIOLATIONS = 20
MAX_VIOLATION_FIELD_CHARS = 160
MAX_VIOLATION_DESCRIPTION_CHARS = 320
MAX_VIOLATIONS_BYTES = 2500  # UTF-8 of all fields and descriptions kept
MAX_MESSAGE_BYTES = 300  # UTF-8 of the status message
_ELLIPSIS = "…"

log = get_logger("jobscheduler.edge")
_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}

# Codes that say "the request was wrong", not "the server failed": logged at info.
_CLIENT_CODES = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
    }
)


def _status(rich: status_pb2.Status, request_id: str) -> grpc.Status:
    """``rich`` as a grpc.Status for ``abort_with_status``, which replaces the trailing
    metadata set so far: the request id goes in again."""
    status = rpc_status.to_status(rich)
    return status._replace(
        trailing_metadata=(*status.trailing_metadata, (REQUEST_ID_HEADER, request_id))
    )


def status_for_error(error: JobSchedulerError, request_id: str) -> grpc.Status:
    """The gRPC status a domain error is answered with, with rich details for violations."""
    return _status(rich_status(error), request_id)


def rich_status(error: JobSchedulerError) -> status_pb2.Status:
    """``error`` as a google.rpc.Status: its code, its message (fixed for INTERNAL) and, for
    INVALID_ARGUMENT, its field violations as google.rpc.BadRequest."""
    code = _status_code(error.code)
    message = INTERNAL_MESSAGE if code is grpc.StatusCode.INTERNAL else error.message
    rich = status_pb2.Status(code=code.value[0], message=message)
    if isinstance(error, InvalidArgument):
        message, violations = bounded_violations(error.violations, message)
        rich.message = message
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        rich.details.append(detail)
    if isinstance(error, ResourceExhausted) and error.retry_after_seconds is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromNanoseconds(int(error.retry_after_seconds * 1e9))
        detail = any_pb2.Any()
        detail.Pack(retry)
        rich.details.append(detail)
    return rich


def bounded_violations(
    violations: list[FieldViolation], message: str
) -> tuple[str, list[FieldViolation]]:
    """The message and violations an INVALID_ARGUMENT can carry: the first violations whole
    (their echoed values shortened), as many as fit the budget, and a message that says how
    many more there were."""
    kept: list[FieldViolation] = []
    budget = MAX_VIOLATIONS_BYTES
    for violation in violations[:MAX_VIOLATIONS]:
        short = FieldViolation(
            _truncate(violation.field, MAX_VIOLATION_FIELD_CHARS),
            _truncate(violation.description, MAX_VIOLATION_DESCRIPTION_CHARS),
        )
        size = len(short.field.encode()) + len(short.description.encode())
        if kept and size > budget:
            break
        kept.append(short)
        budget -= size
    if len(kept) < len(violations):
        more = f" (and {len(violations) - len(kept)} more problems)"
        message = _truncate_bytes(message, MAX_MESSAGE_BYTES - len(more)) + more
    else:
        message = _truncate_bytes(message, MAX_MESSAGE_BYTES)
    return message, kept


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _truncate_bytes(text: str, limit: int) -> str:
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - len(_ELLIPSIS.encode())].decode(errors="ignore")
    return cut + _ELLIPSIS


def _status_code(name: str) -> grpc.StatusCode:
    try:
        code = grpc.StatusCode[name]
    except KeyError:
        return grpc.StatusCode.INTERNAL
    # UNKNOWN tells a client nothing; an error class that names it is a bug on our side.
    return grpc.StatusCode.INTERNAL if code is grpc.StatusCode.UNKNOWN else code


def _plain_status(code: grpc.StatusCode, message: str, request_id: str) -> grpc.Status:
    return _status(status_pb2.Status(code=code.value[0], message=message), request_id)


def job_id_of(message: Message | None) -> str:
    """The job id a request or response names, directly or in its ``job_info`` / ``job``."""
    if message is None:
        return ""
    fields = message.DESCRIPTOR.fields_by_name
    job_id = getattr(message, "job_id", "") if "job_id" in fields else ""
    if job_id:
        return str(job_id)
    for nested in ("job_info", "job"):
        if nested in fields and message.HasField(nested):
            inner = getattr(message, nested).job_id
            if inner:
                return str(inner)
    return ""


class _Call:
    """The bookkeeping of one RPC, from its start to its one log line."""

    def __init__(
        self, method: str, grpc_type: str, request: Message, context: grpc.ServicerContext
    ) -> None:
        self.method = method
        self.grpc_type = grpc_type
        self.service, _, self.method_name = method.lstrip("/").partition("/")
        self.context = context
        self.code = grpc.StatusCode.OK
        self.job_id = job_id_of(request)
        # Extra fields of the log line: the item counts of a ScheduleJobs batch.
        self.log_fields: dict[str, int] = {}
        if isinstance(request, pb.ScheduleJobsRequest):
            self.log_fields["items"] = len(request.requests)
        self.started = time.perf_counter()
        self.request_id = _incoming_request_id(context) or f"req-{uuid.uuid4().hex[:16]}"
        # Run at the end with (code name, job id): the access hook's audit and stream release.
        self.finishers: list[Callable[[str, str], None]] = []

        remaining = context.time_remaining()
        if remaining is not None and remaining > NO_DEADLINE_SECONDS:
            remaining = None  # gRPC Python reports "no deadline" as ~292 years
        requestctx.request_id.set(self.request_id)
        requestctx.deadline.set(None if remaining is None else time.monotonic() + remaining)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=self.request_id, method=self.method)

        GRPC_SERVER_STARTED.labels(grpc_type, self.service, self.method_name).inc()
        metadata = ((REQUEST_ID_HEADER, self.request_id),)
        context.send_initial_metadata(metadata)
        context.set_trailing_metadata(metadata)

    def check_deadline(self) -> None:
        """Refuse work the caller has already given up on."""
        if _deadline_passed():
            self.abort(
                _plain_status(grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE, self.request_id)
            )

    def note_response(self, message: Message) -> None:
        self.count_sent()
        if not self.job_id:
            self.job_id = job_id_of(message)
        if isinstance(message, pb.ScheduleJobsResponse):
            self._note_items(message)

    def _note_items(self, response: pb.ScheduleJobsResponse) -> None:
        failed = 0
        for result in response.results:
            code = grpc.StatusCode.OK
            if result.HasField("error"):
                failed += 1
                code = _CODES_BY_NUMBER.get(result.error.code, grpc.StatusCode.INTERNAL)
            BATCH_ITEMS_HANDLED.labels(self.method_name, code.name).inc()
        self.log_fields["items_failed"] = failed

    def count_sent(self) -> None:
        GRPC_SERVER_MSG_SENT.labels(self.grpc_type, self.service, self.method_name).inc()

    def fail(self, exc: Exception) -> None:
        """Answer ``exc`` with its status; never returns (``abort_with_status`` raises)."""
        status: grpc.Status
        already_set = _code_set_by_handler(self.context)
        if already_set is not None:
            # The handler aborted by itself (not our servicer's way, but keep its answer).
            self.code = already_set
            raise exc
        if not self.context.is_active():
            # The caller is gone (cancelled, or its deadline passed); nobody gets this answer,
            # and the failure is likely the consequence of the work being abandoned.
            code = (
                grpc.StatusCode.DEADLINE_EXCEEDED
                if _deadline_passed()
                else grpc.StatusCode.CANCELLED
            )
            log.info("request abandoned by the client", error=repr(exc))
            self.abort(_plain_status(code, code.name.lower(), self.request_id))
        if isinstance(exc, JobSchedulerError):
            status = status_for_error(exc, self.request_id)
            if status.code is grpc.StatusCode.INTERNAL:
                log.error("internal error", exc_info=exc, job_id=self.job_id)
        elif _deadline_passed():
            log.warning("request failed after its deadline passed", error=repr(exc))
            status = _plain_status(
                grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE, self.request_id
            )
        else:
            log.error("unexpected error", exc_info=exc, job_id=self.job_id)
            status = _plain_status(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE, self.request_id)
        self.abort(status)

    def abort(self, status: grpc.Status) -> None:
        self.code = status.code
        self.context.abort_with_status(status)

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.started
        code_name = self.code.name
        for finisher in self.finishers:
            finisher(code_name, self.job_id)
        GRPC_SERVER_HANDLED.labels(self.grpc_type, self.service, self.method_name, code_name).inc()
        GRPC_SERVER_HANDLING_SECONDS.labels(self.grpc_type, self.service, self.method_name).observe(
            elapsed
        )
        if self.code in _CLIENT_CODES:
            level = logging.INFO
        elif self.code is grpc.StatusCode.INTERNAL:
            level = logging.ERROR
        else:
            level = logging.WARNING
        log.log(
            level,
            "rpc",
            code=code_name,
            duration_ms=round(elapsed * 1000, 3),
            job_id=self.job_id or None,
            peer=self.context.peer(),
            # Explicit, not only from contextvars: a cancelled stream ends on a gRPC thread.
            request_id=self.request_id,
            method=self.method,
            **self.log_fields,
        )
        structlog.contextvars.clear_contextvars()
        requestctx.request_id.set("")
        requestctx.deadline.set(None)


def _deadline_passed() -> bool:
    return requestctx.deadline.get() is not None and requestctx.remaining_seconds() == 0


def _incoming_request_id(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and value.strip():
            # Bounded, so a client cannot blow up every log line.
            return value.strip()[:128]
    return ""


def _code_set_by_handler(context: grpc.ServicerContext) -> grpc.StatusCode | None:
    with contextlib.suppress(Exception):
        code = context.code()
        if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
            return code
    return None


UnaryBehavior = Callable[[Message, grpc.ServicerContext], Message]
StreamBehavior = Callable[[Message, grpc.ServicerContext], Iterator[Message]]


class RpcInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Wraps the handlers of ``service_name`` (default: the JobScheduler service)."""

    def __init__(self, service_name: str = SERVICE_NAME, guard: Guard | None = None) -> None:
        self._prefix = f"/{service_name}/"
        self._guard = guard

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or not method.startswith(self._prefix):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(method, handler.unary_unary, self._guard),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(method, handler.unary_stream, self._guard),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


def _wrap_unary(method: str, behavior: UnaryBehavior, guard: Guard | None) -> UnaryBehavior:
    def unary(request: Message, context: grpc.ServicerContext) -> Message:
        with tracing.span(method.lstrip("/"), {"rpc.system": "grpc"}, server=True):
            return _unary_call(method, behavior, request, context, guard)

    return unary


def _unary_call(
    method: str,
    behavior: UnaryBehavior,
    request: Message,
    context: grpc.ServicerContext,
    guard: Guard | None,
) -> Message:
    call = _Call(method, "unary", request, context)
    try:
        call.check_deadline()
        admission = admit(guard, call, request, streaming=False)
        response = admission.outgoing(behavior(admission.request, context))
        call.note_response(response)
        return response
    except Exception as exc:
        if call.code is not grpc.StatusCode.OK:
            raise  # our own abort, already accounted for
        call.fail(exc)
        raise  # unreachable: fail() aborts
    finally:
        call.finish()


def _wrap_stream(method: str, behavior: StreamBehavior, guard: Guard | None) -> StreamBehavior:
    def stream(request: Message, context: grpc.ServicerContext) -> Iterator[Message]:
        messages = _stream_messages(method, behavior, request, context, guard)
        # When the client cancels between two messages, gRPC stops iterating without closing
        # the generator, which then waits for the garbage collector while the service's watch
        # stays open. Close it ourselves once the RPC is over (a no-op if it already ended).
        context.add_callback(lambda: _close_quietly(messages))
        return messages

    return stream


def _close_quietly(messages: Generator[Message, None, None]) -> None:
    # Running right now (ValueError): it will see is_active() false and end by itself.
    with contextlib.suppress(ValueError):
        messages.close()


def _stream_messages(
    method: str,
    behavior: StreamBehavior,
    request: Message,
    context: grpc.ServicerContext,
    guard: Guard | None,
) -> Generator[Message, None, None]:
    call = _Call(method, "server_stream", request, context)
    # Not made current: a stream's generator is resumed (and closed) on other threads.
    stream_span = tracing.start_detached_span(method.lstrip("/"), {"rpc.system": "grpc"})
    try:
        call.check_deadline()
        admission = admit(guard, call, request, streaming=True)
        messages = behavior(admission.request, context)
        try:
            for message in messages:
                call.count_sent()  # (no job id from stream messages: WatchJobs has many jobs)
                yield message
        finally:
            # Hand a close() on to the service's generator, so its watch is released as soon
            # as gRPC gives up on the stream.
            close = getattr(messages, "close", None)
            if close is not None:
                close()
        if not context.is_active():
            call.code = grpc.StatusCode.CANCELLED
    except GeneratorExit:
        # gRPC closes the generator when the client cancels or the server stops.
        call.code = grpc.StatusCode.CANCELLED
        raise
    except Exception as exc:
        if call.code is not grpc.StatusCode.OK:
            raise
        call.fail(exc)
        raise
    finally:
        call.finish()
        if stream_span is not None:
            stream_span.set_attribute("rpc.grpc.status_code", call.code.value[0])
            stream_span.end()
