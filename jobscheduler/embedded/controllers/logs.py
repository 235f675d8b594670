"""What the simulated containers printed, served as pod logs."""

from __future__ import annotations

from collections.abc import Iterator

from jobscheduler.clock import Clock
from jobscheduler.embedded.api import ApiError


class PodLogStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def read(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        follow: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        limit_bytes: int | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        raise ApiError(404, "NotFound", f'pods "{pod}" not found')
