"""A small bounded cache whose entries expire: review answers are reused, never forever."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """At most ``size`` entries, each for ``ttl_seconds``; the least recently used goes first.

    A ttl of 0 caches nothing (every answer is asked for again).
    """

    def __init__(
        self, ttl_seconds: float, size: int, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._size = size
        self._now = now
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self._now() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V, *, at_most_seconds: float | None = None) -> None:
        """Keep ``value`` for the cache's ttl, or for ``at_most_seconds`` when that is shorter
        (an answer known to go stale sooner, such as a token about to expire)."""
        ttl = self._ttl if at_most_seconds is None else min(self._ttl, at_most_seconds)
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (self._now() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
