"""A long Kubernetes API outage under an open WatchJob stream: the watch loop backs off with
jittered delays capped at 30 s, starts again from the shortest delay once the API has been
healthy for a while, and the stream still delivers the job's final state.

Faults come from the embedded cluster's injector (every watch request gets a 503), so the
failures travel the real HTTP path; the watcher's clock and pause are fakes, so the test
waits no real backoff.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service.watching import HEALTHY_RESET_SECONDS, WATCH_BACKOFF, JobWatcher

from .conftest import make_service
from .support import WAIT_SECONDS, FakeTime, container

pytestmark = pytest.mark.clock_speed(60)

FIRST_OUTAGE = 12  # failed watches in a row: long enough to reach the 30 s cap
SECOND_OUTAGE = 3


def _healthy_watches() -> float:
    value = REGISTRY.get_sample_value(
        "jobscheduler_kubernetes_api_calls_total",
        {"verb": "watch", "resource": "jobs", "code": "200"},
    )
    return value or 0.0


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_watch_job_rides_out_a_long_outage_with_capped_jittered_backoff(
    embedded_cluster: Any,
) -> None:
    # One HTTP request per watch attempt: the gateway's own retries are off here.
    # The per-stream watch loop (namespaces the cache does not hold): no cache here.
    service, client = make_service(
        embedded_cluster, sleep=lambda _: None, k8s_max_retries=0, cached=False
    )
    fake = FakeTime()
    service._watcher = JobWatcher(
        service._reader, service.registry, poll_seconds=1, pause=fake.pause, now=fake.clock
    )
    events: list[pb.JobEvent] = []
    failure: list[BaseException] = []
    try:
        job_id = service.schedule_job(
            container(sim={"run-seconds": 5}, execution=pb.ExecutionOptions(start_suspended=True))
        ).job_id
        embedded_cluster.faults.fail_next(FIRST_OUTAGE, verb="watch", resource="jobs", status=503)

        def consume() -> None:
            try:
                events.extend(service.watch_job(pb.WatchJobRequest(job_id=job_id), lambda: True))
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)

        consumer = threading.Thread(target=consume, daemon=True)
        healthy_before = _healthy_watches()
        consumer.start()
        _wait_until(lambda: len(fake.pauses) == FIRST_OUTAGE, "the first outage's retries")
        _wait_until(lambda: _healthy_watches() > healthy_before, "a healthy watch again")

        fake.now += HEALTHY_RESET_SECONDS  # the API stays healthy for a while
        embedded_cluster.faults.fail_next(SECOND_OUTAGE, verb="watch", resource="jobs", status=503)
        _wait_until(
            lambda: len(fake.pauses) == FIRST_OUTAGE + SECOND_OUTAGE, "the second outage's retries"
        )
        service.resume_job(pb.ResumeJobRequest(job_id=job_id))
        consumer.join(WAIT_SECONDS)
        assert not consumer.is_alive(), "the stream did not end at the job's final state"
    finally:
        service.stop()
        client.close()
    assert not failure, failure

    first, second = fake.pauses[:FIRST_OUTAGE], fake.pauses[FIRST_OUTAGE:]
    nominal = [WATCH_BACKOFF.nominal(n) for n in range(1, FIRST_OUTAGE + 1)]
    assert nominal[0] == 0.8 and nominal[-1] == 30.0
    # Doubling up to the cap, each delay jittered down from its nominal value, never above it.
    for delay, expected in zip(first, nominal, strict=True):
        assert expected * (1 - WATCH_BACKOFF.jitter) <= delay <= expected
    assert max(first) <= 30.0
    assert any(delay < expected for delay, expected in zip(first, nominal, strict=True))
    # After the healthy period the next outage starts again from the shortest delay.
    assert second[0] <= 0.8 and second[1] <= 1.6
    assert events[0].type == pb.JobEvent.TYPE_INITIAL
    assert events[0].job.status == pb.JOB_STATUS_SUSPENDED
    assert events[-1].job.status == pb.JOB_STATUS_SUCCEEDED
