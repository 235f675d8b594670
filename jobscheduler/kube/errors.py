"""The one place Kubernetes failures become domain errors.

Kubernetes answers failures with a ``Status`` body (``reason``, ``message``, ``details.causes``);
we choose the domain error by HTTP status and reason, keep the upstream message for the user
where it is safe (it names fields, never secrets), and truncate bodies before they reach a log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from jobscheduler import errors
from jobscheduler.errors import FieldViolation

log = logging.getLogger(__name__)

MAX_LOGGED_BODY = 512
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 403s that are not about the service's RBAC rights: a quota, an admission policy or a
# terminating namespace refused the request. Their messages name what to fix (quota numbers,
# the policy's own words), so the user sees them. A quota is RESOURCE_EXHAUSTED (room may free
# up; the message names the quota and its numbers); the others are FAILED_PRECONDITION.
_QUOTA_MARKER = "exceeded quota"
_REFUSAL_MARKERS = (
    _QUOTA_MARKER,
    "admission webhook",
    "ValidatingAdmissionPolicy",
    "is being terminated",
)
MAX_REFUSAL_MESSAGE = 1024


class ResourceExpired(errors.FailedPrecondition):
    """410 Gone/Expired: a watch's resourceVersion or a list's continue token is too old."""


@dataclass(frozen=True)
class KubeStatus:
    """The parts of a Kubernetes ``Status`` failure we act on."""

    code: int
    reason: str
    message: str
    causes: tuple[dict[str, Any], ...]
    retry_after_seconds: float | None

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_STATUSES


def parse_status(code: int, body: bytes | str | None, headers: Any) -> KubeStatus:
    """Read a failure response; tolerate non-JSON bodies (proxies answer in HTML)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    reason, message = "", ""
    causes: tuple[dict[str, Any], ...] = ()
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = {}
    if isinstance(parsed, dict):
        reason = str(parsed.get("reason") or "")
        message = str(parsed.get("message") or "")
        details = parsed.get("details") or {}
        if isinstance(details, dict):
            causes = tuple(c for c in details.get("causes") or () if isinstance(c, dict))
    retry_after = None
    raw_retry = headers.get("Retry-After") if headers is not None else None
    if raw_retry is not None:
        try:
            retry_after = max(0.0, float(raw_retry))
        except ValueError:
            retry_after = None
    return KubeStatus(code, reason, message, causes, retry_after)


def truncated(body: bytes | str | None) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    return text if len(text) <= MAX_LOGGED_BODY else text[:MAX_LOGGED_BODY] + "...(truncated)"


def to_domain_error(status: KubeStatus, what: str) -> errors.JobSchedulerError:
    """``what`` names the object, e.g. "jobs default/job-abc"; shown in NotFound etc."""
    if status.code == 404:
        return errors.NotFound(f"{what} not found")
    if status.code == 409:
        if status.reason == "AlreadyExists":
            return errors.AlreadyExists(f"{what} already exists")
        return errors.Conflict(f"{what} was changed concurrently; retry")
    if status.code == 410:
        return ResourceExpired(status.message or "resource version expired")
    if status.code in (400, 422):
        violations = [
            FieldViolation(str(c.get("field") or ""), str(c.get("message") or c.get("reason", "")))
            for c in status.causes
        ] or [FieldViolation("", status.message or "rejected by Kubernetes")]
        return errors.InvalidArgument(violations, f"Kubernetes rejected {what}: {status.message}")
    if status.code == 403 and _is_refusal(status.message):
        refusal = f"Kubernetes refused {what}: {status.message[:MAX_REFUSAL_MESSAGE]}"
        if _QUOTA_MARKER in status.message:
            return errors.ResourceExhausted(refusal)
        return errors.FailedPrecondition(refusal)
    if status.code in (401, 403):
        return errors.PermissionDenied(f"the service is not allowed to access {what}")
    if status.retryable:
        return errors.Unavailable(f"Kubernetes is unavailable ({status.code} {_said(status)})")
    return errors.Internal(f"unexpected Kubernetes response {status.code} {_said(status)}")


def _said(status: KubeStatus) -> str:
    """The reason, or the message when there is none: a real API server's 500 Status often
    carries only a message (a storage or admission failure), which names what went wrong."""
    return status.reason or status.message[:MAX_REFUSAL_MESSAGE] or "(no reason given)"


def _is_refusal(message: str) -> bool:
    return any(marker in message for marker in _REFUSAL_MARKERS)
