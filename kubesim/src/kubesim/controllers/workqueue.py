"""A deduplicating work queue with delayed adds measured in clock time.

Like client-go's workqueue: a key queued several times is processed once, a key is never
processed by two workers at once (a key re-added while it is processed is queued again when
``done`` is called), and ``add_after`` wakes the key when the clock reaches the due time.
"""

from __future__ import annotations

import heapq
import threading
from datetime import datetime

from kubesim.clock import Clock
from kubesim.controllers.timeutil import seconds_between

# Upper bound on one idle wait, in clock seconds, so a clock that jumps still gets noticed.
_MAX_IDLE_WAIT = 3600.0


class WorkQueue:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._ready: list[str] = []
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()
        self._delayed: list[tuple[datetime, int, str]] = []
        self._due: dict[str, datetime] = {}  # earliest pending due time per delayed key
        self._sequence = 0
        self._shutdown = False

    def add(self, key: str) -> None:
        with self._lock:
            self._add_locked(key)
        self._wakeup.set()

    def add_after(self, key: str, seconds: float) -> None:
        if seconds <= 0:
            self.add(key)
            return
        now = self._clock.now()
        due = datetime.fromtimestamp(now.timestamp() + seconds, now.tzinfo)
        with self._lock:
            earliest = self._due.get(key)
            if earliest is not None and earliest <= due:
                return  # already due at least as soon
            self._due[key] = due
            self._sequence += 1
            heapq.heappush(self._delayed, (due, self._sequence, key))
        self._wakeup.set()

    def get(self) -> str | None:
        """Block until a key is ready; None once the queue is shut down."""
        while True:
            with self._lock:
                if self._shutdown:
                    return None
                self._promote_due_locked()
                if self._ready:
                    key = self._ready.pop(0)
                    self._queued.discard(key)
                    self._processing.add(key)
                    return key
                wait = _MAX_IDLE_WAIT
                if self._delayed:
                    wait = max(0.0, seconds_between(self._clock.now(), self._delayed[0][0]))
                self._wakeup.clear()
            self._clock.wait(self._wakeup, wait)

    def done(self, key: str) -> None:
        with self._lock:
            self._processing.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                self._add_locked(key)
        self._wakeup.set()

    def shutdown(self) -> None:
        with self._lock:
            self._shutdown = True
        self._wakeup.set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._ready) + len(self._delayed)

    def _add_locked(self, key: str) -> None:
        if key in self._processing:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)

    def _promote_due_locked(self) -> None:
        now = self._clock.now()
        while self._delayed and self._delayed[0][0] <= now:
            due, _, key = heapq.heappop(self._delayed)
            if self._due.get(key) == due:
                del self._due[key]
                self._add_locked(key)
