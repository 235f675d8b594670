"""Times from requests, checked once with their bounds: protobuf Timestamps and time zones.

Validation, listing and the manifest builder all go through these functions, so a value that
validation accepts is one the builder can represent (a start time rounded up to whole seconds
still falls in year 9999 at most) and nothing the file system or ``datetime`` would raise on
reaches them.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
TIMESTAMP_MIN_SECONDS = -62135596800
TIMESTAMP_MAX_SECONDS = 253402300799
NANOS_PER_SECOND = 10**9

# IANA names are area/location words (the longest in tzdata has 32 characters). Checking the
# shape first keeps paths ("..", "/etc/...") and over-long names away from the file system.
MAX_TIME_ZONE_LENGTH = 64
_TIME_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")
_HOST_ZONES = frozenset({"local", "localtime"})


def timestamp_problem(seconds: int, nanos: int) -> str | None:
    """Why (seconds, nanos) is not a valid Timestamp, or None when it is one."""
    if not TIMESTAMP_MIN_SECONDS <= seconds <= TIMESTAMP_MAX_SECONDS:
        return "must be a time between 0001-01-01 and 9999-12-31"
    if not 0 <= nanos < NANOS_PER_SECOND:
        return f"nanos must be between 0 and {NANOS_PER_SECOND - 1}"
    return None


def start_second(seconds: int, nanos: int) -> int | None:
    """The whole second a delayed job starts at: rounded up, so a job never starts before the
    time it was given. None unless that second is after 1970 and at most 9999-12-31T23:59:59Z."""
    if timestamp_problem(seconds, nanos) is not None:
        return None
    second = seconds + (1 if nanos > 0 else 0)
    return second if 0 < second <= TIMESTAMP_MAX_SECONDS else None


def load_time_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name``, or None if there is no such zone. "Local" is refused as
    Kubernetes refuses it for a CronJob, and "localtime" with it: the host's zone is not a
    property of the request."""
    if (
        len(name) > MAX_TIME_ZONE_LENGTH
        or not _TIME_ZONE_NAME.fullmatch(name)
        or name.lower() in _HOST_ZONES
    ):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a name that is a directory, or unreadable, in the zoneinfo tree.
        return None
