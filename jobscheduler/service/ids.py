"""Generated job ids: ``job-<inverted creation time>-<random>``.

Kubernetes lists objects in name order. Encoding the creation time *inverted* (in fixed-width
base 36) makes that order newest-first for generated ids, so ListJobs can be newest first with
real Kubernetes pagination. Ids chosen by clients sort by their own name among them.
"""

from __future__ import annotations

import random
import string
from datetime import datetime

_ALPHABET = string.digits + string.ascii_lowercase  # sorts like base-36 digits
_TIME_WIDTH = 9  # 36**9 ms covers dates until the year 5138
_MAX_MILLIS = 36**_TIME_WIDTH - 1
_RANDOM_WIDTH = 5


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


class JobIdGenerator:
    """Callable ``(now) -> id``; inject ``rng`` for deterministic tests."""

    def __init__(self, rng: random.Random | None = None) -> None:
        # Ids need to be unique, not secret: a generator seeded from the OS is enough.
        self._rng = rng or random.Random()

    def __call__(self, now: datetime) -> str:
        millis = int(now.timestamp() * 1000)
        inverted = _MAX_MILLIS - millis
        suffix = _base36(self._rng.randrange(36**_RANDOM_WIDTH), _RANDOM_WIDTH)
        return f"job-{_base36(inverted, _TIME_WIDTH)}-{suffix}"
