"""The shared backoff policy: doubling to a cap, jitter only ever shortens a delay, and the
stateful Backoff starts over after a healthy period."""

from __future__ import annotations

from jobscheduler.backoff import Backoff, BackoffPolicy

POLICY = BackoffPolicy(initial_seconds=0.8, max_seconds=30.0, jitter=0.25)


def test_delays_double_up_to_the_cap() -> None:
    assert [POLICY.nominal(n) for n in range(1, 9)] == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    assert POLICY.nominal(10_000) == 30.0  # no overflow after a very long outage


def test_jitter_takes_off_at_most_its_fraction() -> None:
    assert POLICY.delay(7, rand=lambda: 0.0) == 30.0
    assert POLICY.delay(7, rand=lambda: 0.999999) >= 30.0 * 0.75
    assert BackoffPolicy(0.5, 30.0).delay(3, rand=lambda: 0.9) == 2.0  # no jitter asked


def test_backoff_grows_while_failing_and_resets_after_a_healthy_period() -> None:
    now = [0.0]
    backoff = Backoff(POLICY, reset_after_seconds=60, now=lambda: now[0], rand=lambda: 0.0)
    delays = []
    for _ in range(4):
        delays.append(backoff.next_delay())
        now[0] += delays[-1]  # the wait itself
    assert delays == [0.8, 1.6, 3.2, 6.4]
    now[0] += 59  # healthy, but not long enough
    assert backoff.next_delay() == 12.8
    now[0] += 12.8 + 60
    assert backoff.next_delay() == 0.8
