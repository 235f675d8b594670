"""The controllers' work queue: each key once, never twice at a time, delays in clock time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from jobscheduler.clock import FakeClock
from kubesim.clock import ScaledClock
from kubesim.controllers.workqueue import WorkQueue


def test_a_key_added_twice_is_processed_once() -> None:
    queue = WorkQueue(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    queue.add("a")
    queue.add("b")
    queue.add("a")
    assert [queue.get(), queue.get()] == ["a", "b"]
    assert len(queue) == 0


def test_a_key_added_while_processed_comes_back_after_done() -> None:
    queue = WorkQueue(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    queue.add("a")
    assert queue.get() == "a"
    queue.add("a")
    assert len(queue) == 0  # not handed out again while in progress
    queue.done("a")
    assert queue.get() == "a"


def test_delayed_key_waits_for_the_clock() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    queue = WorkQueue(clock)
    queue.add_after("later", 30)
    queue.add("now")
    assert queue.get() == "now"
    queue.done("now")
    assert queue.get() == "later"  # FakeClock.wait moves the clock forward to the due time
    assert clock.now() >= datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


def test_shutdown_wakes_a_blocked_worker() -> None:
    queue = WorkQueue(ScaledClock())
    results: list[str | None] = []
    worker = threading.Thread(target=lambda: results.append(queue.get()))
    worker.start()
    queue.shutdown()
    worker.join(5)
    assert results == [None]


def test_a_key_delayed_twice_wakes_once_at_the_earlier_time() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    queue = WorkQueue(clock)
    queue.add_after("k", 60)
    queue.add_after("k", 10)
    queue.add_after("k", 30)
    assert queue.get() == "k"
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)
    queue.done("k")
    queue.add_after("k", 100)
    assert queue.get() == "k"
    # The superseded 60 s wake-up did not hand the key out early.
    assert clock.now() == datetime(2026, 1, 1, 0, 1, 50, tzinfo=UTC)
