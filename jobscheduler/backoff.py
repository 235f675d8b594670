"""Exponential backoff with jitter: one policy for every retry loop in the project.

The Kubernetes gateway retries a failed API call, the watch loop re-opens a broken watch and
the timer runner re-sends its completion report; all of them wait ``BackoffPolicy.delay``
between attempts. Jitter takes a random fraction *off* each delay, so replicas that failed
together do not retry together, and no delay exceeds the cap.

``Backoff`` adds the state a long-running loop needs (client-go's backoff manager): the
delays grow while failures follow each other and start again from the initial delay once
the loop has been healthy for ``reset_after_seconds``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    initial_seconds: float
    max_seconds: float
    factor: float = 2.0
    jitter: float = 0.0  # the largest fraction of a delay taken off at random, 0..1

    def nominal(self, failures: int) -> float:
        """The delay after ``failures`` failures in a row (1-based), before jitter."""
        exponent = max(0, failures - 1)
        # Past the cap the exponent only matters for overflow: stop growing there.
        delay = self.initial_seconds
        for _ in range(exponent):
            delay *= self.factor
            if delay >= self.max_seconds:
                return self.max_seconds
        return min(self.max_seconds, delay)

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        return self.nominal(failures) * (1.0 - self.jitter * rand())


class Backoff:
    """Delays for one loop: growing with consecutive failures, reset after a healthy period."""

    def __init__(
        self,
        policy: BackoffPolicy,
        *,
        reset_after_seconds: float,
        now: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self._reset_after = reset_after_seconds
        self._now = now
        self._rand = rand
        self._failures = 0
        self._last_failure: float | None = None
        self._lock = threading.Lock()

    def next_delay(self) -> float:
        """Record a failure; the seconds to wait before the next attempt."""
        with self._lock:
            now = self._now()
            if self._last_failure is not None and now - self._last_failure >= self._reset_after:
                self._failures = 0  # healthy long enough since the last failure
            self._failures += 1
            delay = self.policy.delay(self._failures, self._rand)
            # Measured from the end of the wait: time spent waiting is not time spent healthy.
            self._last_failure = now + delay
            return delay
