"""Domain errors shared by every layer.

The Kubernetes gateway raises these instead of ``ApiException``; one gRPC interceptor maps them
to status codes (see ``edge``). Each class names its gRPC status code by name, so this module
needs no gRPC import and the service layer stays transport-free.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One problem with one request field, reported as google.rpc.BadRequest.FieldViolation."""

    field: str
    description: str


class JobSchedulerError(Exception):
    """Base class: ``code`` is the name of a grpc.StatusCode member."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(JobSchedulerError):
    code = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation], message: str | None = None) -> None:
        if message is None:
            message = "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(message)
        self.violations = list(violations)


class NotFound(JobSchedulerError):
    code = "NOT_FOUND"


class AlreadyExists(JobSchedulerError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(JobSchedulerError):
    code = "FAILED_PRECONDITION"


class Conflict(JobSchedulerError):
    """A concurrent writer changed the object first (Kubernetes 409 Conflict)."""

    code = "ABORTED"


class Unavailable(JobSchedulerError):
    """Kubernetes is unreachable or throttling us, after bounded retries."""

    code = "UNAVAILABLE"


class DeadlineExceeded(JobSchedulerError):
    code = "DEADLINE_EXCEEDED"


class PermissionDenied(JobSchedulerError):
    code = "PERMISSION_DENIED"


class Unauthenticated(JobSchedulerError):
    """The caller sent no credentials, or ones Kubernetes does not accept."""

    code = "UNAUTHENTICATED"


class ResourceExhausted(JobSchedulerError):
    """The caller is over a limit: a Kubernetes ResourceQuota leaves no room (retry once freed),
    or this service's per-caller rate; ``retry_after_seconds`` becomes google.rpc.RetryInfo."""

    code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Internal(JobSchedulerError):
    """Anything unexpected: clients get a fixed message, the details go to the log only."""

    code = "INTERNAL"
