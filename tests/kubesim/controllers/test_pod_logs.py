"""Pod logs as the simulated kubelet serves them, on a clock that moves only when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobscheduler.clock import FakeClock
from kubesim.clusterapi import ApiError
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.simpod import timed_lines

T0 = datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def store(clock: FakeClock) -> PodLogStore:
    store = PodLogStore(clock)
    store.register("default", "p", ["main"])
    return store


def start_three_lines(store: PodLogStore) -> None:
    store.start("default", "p", "main", timed_lines(["one", "two", "three"], T0, 3.0))


def test_container_that_has_not_started_is_a_bad_request(store: PodLogStore) -> None:
    with pytest.raises(ApiError) as raised:
        list(store.read("default", "p", None))
    assert raised.value.code == 400
    assert (
        raised.value.message == 'container "main" in pod "p" is waiting to start: ContainerCreating'
    )


def test_unknown_container_is_a_bad_request(store: PodLogStore) -> None:
    start_three_lines(store)
    with pytest.raises(ApiError) as raised:
        list(store.read("default", "p", "nope"))
    assert (raised.value.code, raised.value.message) == (
        400,
        "container nope is not valid for pod p",
    )


def test_pod_with_two_containers_needs_a_container_name(clock: FakeClock) -> None:
    store = PodLogStore(clock)
    store.register("default", "two", ["a", "b"])
    with pytest.raises(ApiError) as raised:
        list(store.read("default", "two", None))
    assert (
        raised.value.message
        == "a container name must be specified for pod two, choose one of: [a b]"
    )


def test_unknown_pod_is_not_found(clock: FakeClock) -> None:
    with pytest.raises(ApiError) as raised:
        list(PodLogStore(clock).read("default", "ghost", None))
    assert raised.value.code == 404


def test_lines_appear_as_clock_time_passes(store: PodLogStore, clock: FakeClock) -> None:
    start_three_lines(store)
    assert "".join(store.read("default", "p", None)) == "one\n"
    clock.advance(1.5)
    assert "".join(store.read("default", "p", "main")) == "one\ntwo\n"


def test_tail_since_limit_and_timestamps(store: PodLogStore, clock: FakeClock) -> None:
    start_three_lines(store)
    clock.advance(10)
    store.finish("default", "p", "main", T0 + timedelta(seconds=3))
    assert "".join(store.read("default", "p", None, tail_lines=1)) == "three\n"
    assert "".join(store.read("default", "p", None, since_seconds=8)) == "three\n"
    assert "".join(store.read("default", "p", None, limit_bytes=6)) == "one\ntw"
    stamped = "".join(store.read("default", "p", None, tail_lines=1, timestamps=True))
    assert stamped == "2026-11-23T16:00:02.000000000Z three\n"


def test_follow_streams_new_lines_until_the_container_ends(
    store: PodLogStore, clock: FakeClock
) -> None:
    start_three_lines(store)
    stream = store.read("default", "p", None, follow=True)
    received = [next(stream), next(stream), next(stream)]
    assert received == ["one\n", "two\n", "three\n"]
    assert clock.now() == T0 + timedelta(seconds=2)
    store.finish("default", "p", "main", clock.now())
    assert list(stream) == []


def test_lines_planned_after_termination_are_never_printed(
    store: PodLogStore, clock: FakeClock
) -> None:
    start_three_lines(store)
    clock.advance(1)
    store.finish("default", "p", "main", clock.now())
    clock.advance(10)
    assert "".join(store.read("default", "p", None, follow=True)) == "one\ntwo\n"
