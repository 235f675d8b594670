"""Kubernetes timestamps (``metav1.Time``: RFC 3339, whole seconds, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_time_nano(moment: datetime) -> str:
    """The kubelet's log timestamp format (RFC 3339 with nanoseconds)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond * 1000:09d}Z"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def seconds_between(earlier: datetime, later: datetime) -> float:
    return later.timestamp() - earlier.timestamp()
