"""The one stoppable daemon thread the packer, sweeper, log keeper and health poller run."""

from __future__ import annotations

import threading
import time

from jobscheduler.daemon import DaemonThread


def _named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_a_loop_runs_once_however_often_it_is_started_and_ends_on_stop() -> None:
    rounds: list[float] = []

    def loop() -> None:
        while not daemon.stopping.wait(0.01):
            rounds.append(time.monotonic())

    daemon = DaemonThread("test-daemon-loop", loop, stop_wait_seconds=5)
    daemon.start()
    daemon.start()
    assert len(_named("test-daemon-loop")) == 1
    deadline = time.monotonic() + 5
    while not rounds and time.monotonic() < deadline:
        time.sleep(0.01)
    daemon.stop()
    assert rounds
    assert _named("test-daemon-loop") == []


def test_stopping_a_loop_stuck_in_a_call_waits_only_so_long() -> None:
    release = threading.Event()
    daemon = DaemonThread("test-daemon-stuck", lambda: release.wait(30), stop_wait_seconds=0.2)
    daemon.start()
    started = time.monotonic()
    daemon.stop()
    try:
        assert time.monotonic() - started < 5
    finally:
        release.set()  # let the stuck thread end: tests leave no thread behind
    for thread in _named("test-daemon-stuck"):
        thread.join(timeout=5)
