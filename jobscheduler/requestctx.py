"""Per-request context carried across layers without threading it through every call.

The gRPC edge sets these for each RPC; the Kubernetes gateway reads the deadline to bound its
calls and retries, and logging binds the request id.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable

from google.protobuf.message import Message

from jobscheduler.errors import FieldViolation

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# time.monotonic() value by which the caller needs an answer; None when it set no deadline.
deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)

# Resource plurals (e.g. "cronjobs") the caller may not act on with this RPC's verb: reads of
# one job skip them, so such an object is not found rather than changed on the caller's behalf.
hidden_resources: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "hidden_resources", default=frozenset()
)

# The authenticated caller's Kubernetes user name ("" without authentication): what a job the
# service creates on the caller's behalf records as created_by (a rerun, which has no request
# field the edge could set).
caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="")


def remaining_seconds() -> float | None:
    """Seconds left before the caller's deadline (never negative), or None without one."""
    value = deadline.get()
    if value is None:
        return None
    return max(0.0, value - time.monotonic())


# Set by the access guard for ScheduleJob(s) and RerunJob: checks a request resolved from a job
# template, or rebuilt from the job a rerun repeats, as the guard checks a direct one (RBAC for
# the kind it creates, the image policy), since only the service sees what the template or the
# job holds. Raises PermissionDenied, or returns violations.
check_resolved_request: contextvars.ContextVar[Callable[[Message], list[FieldViolation]] | None] = (
    contextvars.ContextVar("check_resolved_request", default=None)
)
