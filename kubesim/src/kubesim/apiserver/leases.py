"""Leases (coordination.k8s.io/v1): spec checks and MicroTime fields, as upstream's
``ValidateLease`` and ``metav1.MicroTime`` (which decodes exactly six fractional digits and
encodes in UTC with ``Z``; references G1, G4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from kubesim.apiserver.validation import FieldError, validate_object_meta
from kubesim.clusterapi import JSON, ApiError

_MICRO_TIME_FIELDS = ("acquireTime", "renewTime")
_MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")
_MICRO_LAYOUT = "2006-01-02T15:04:05.000000Z07:00"


def _micro_time(value: str) -> str | None:
    """The canonical form of a MicroTime, or None if metav1.MicroTime would not decode it."""
    if not _MICRO_TIME.fullmatch(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_lease(lease: JSON) -> None:
    spec = lease.get("spec") or {}
    for field in _MICRO_TIME_FIELDS:
        value = spec.get(field)
        canonical = _micro_time(value) if isinstance(value, str) else None
        if canonical is not None:
            spec[field] = canonical


def validate_lease(lease: JSON) -> list[FieldError]:
    spec = lease.get("spec") or {}
    for field in _MICRO_TIME_FIELDS:
        value = spec.get(field)
        if isinstance(value, str) and _micro_time(value) is None:
            raise ApiError(
                400,
                "BadRequest",
                'Lease in version "v1" cannot be handled as a Lease: parsing time '
                f'"{value}" as "{_MICRO_LAYOUT}"',
            )
    errors: list[FieldError] = []
    validate_object_meta(lease.get("metadata") or {}, errors)
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        errors.append(
            FieldError.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0")
        )
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        errors.append(
            FieldError.invalid(
                "spec.leaseTransitions", transitions, "must be greater than or equal to 0"
            )
        )
    return errors
