import threading
from datetime import UTC, datetime

from jobscheduler.clock import FakeClock
from kubesim.clock import ScaledClock


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(speed=1000)
    before = clock.now()
    clock.sleep(5)  # 5 clock seconds = 5 ms real
    elapsed = (clock.now() - before).total_seconds()
    assert elapsed >= 5


def test_fake_clock_moves_only_when_told() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FakeClock(start)
    assert clock.now() == start
    assert clock.wait(threading.Event(), 30) is False
    assert (clock.now() - start).total_seconds() == 30
