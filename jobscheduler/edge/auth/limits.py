"""Per-caller limits: a token bucket of RPCs and a cap on streams open at once.

Keyed by identity (by peer address without authentication), in bounded maps: a flood of new
identities evicts the least recently seen, it cannot grow memory without end.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from jobscheduler import errors

MAX_TRACKED_CALLERS = 10000


class RateLimiter:
    """``per_second`` RPCs on average, up to ``burst`` at once, per key."""

    def __init__(
        self, per_second: float, burst: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._now = now
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """One RPC's token, or ResourceExhausted saying when the next one is due."""
        with self._lock:
            now = self._now()
            tokens, at = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self._rate
                raise errors.ResourceExhausted(
                    f"rate limit exceeded ({self._rate:g} requests per second, burst "
                    f"{self._burst:g}); retry in {wait:.2f}s",
                    retry_after_seconds=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > MAX_TRACKED_CALLERS:
                self._buckets.popitem(last=False)


class StreamLimiter:
    """At most ``limit`` open streams per key; ``open`` returns the release to call once."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def open(self, key: str) -> Callable[[], None]:
        with self._lock:
            count = self._open.get(key, 0)
            if count >= self._limit:
                raise errors.ResourceExhausted(
                    f"too many open streams for this caller (limit {self._limit}); "
                    "close one and retry",
                    retry_after_seconds=1.0,
                )
            self._open[key] = count + 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            with self._lock:
                left = self._open.get(key, 1) - 1
                if left > 0:
                    self._open[key] = left
                else:
                    self._open.pop(key, None)

        return release

    def open_count(self, key: str) -> int:
        with self._lock:
            return self._open.get(key, 0)
