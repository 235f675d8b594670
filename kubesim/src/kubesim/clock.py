"""The simulator's time: a ``ScaledClock`` runs the cluster faster than real time, so a
five-minute timer finishes in a few seconds.

``Clock`` is structural: any object with these methods drives the simulator, and the
service's own clocks (a separate distribution) satisfy it without either importing the other.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of this clock's time."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait for ``event`` at most ``seconds`` of this clock's time; True if it was set."""
        ...


class ScaledClock:
    """Starts at the real current time and runs ``speed`` times faster than real time
    (``speed=1`` is the wall clock)."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin_wall = start or datetime.now(UTC)
        self._origin_mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin_mono) * self.speed
        return datetime.fromtimestamp(self._origin_wall.timestamp() + elapsed, UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(max(0.0, seconds) / self.speed)
