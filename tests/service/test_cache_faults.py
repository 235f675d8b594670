"""The watch cache under API faults: after each, it converges to the API server's truth
(compared object by object), every WatchJobs stream still gets every final state, and
readiness follows the cache. Faults come from the embedded cluster's HTTP front end; the
informers' backoff waits are recorded and shortened, so no test sleeps through a real one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.kube import CRONJOBS, JOBS, PODS
from jobscheduler.kube.cache import WatchCache
from jobscheduler.kube.cache.informer import WATCH_BACKOFF
from jobscheduler.service import JobService
from jobscheduler.service.readcache import CACHED_KINDS, MANAGED

from .conftest import make_service
from .support import WAIT_SECONDS, container

pytestmark = pytest.mark.clock_speed(60)


class RecordedPauses:
    """The informers' waits between failures: recorded, and slept only briefly."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.by_informer: dict[str, list[float]] = {}

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.by_informer.setdefault(threading.current_thread().name, []).append(seconds)
        time.sleep(0.05)


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _truth(service: JobService, namespace: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every object the cache should hold, projected, read from the API server now."""
    found = {}
    for kind in CACHED_KINDS:
        page = service._gateway.list(kind.resource, namespace, label_selector=MANAGED)
        for item in page.get("items") or []:
            projected = kind.project(item)
            found[(kind.resource.plural, projected["metadata"]["name"])] = projected
    return found


def _cached(cache: WatchCache, namespace: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for resource in (JOBS, CRONJOBS, PODS):
        informer = cache.informer_for(resource, namespace)
        assert informer is not None
        for obj in informer.store.items():
            found[(resource.plural, obj["metadata"]["name"])] = obj
    return found


def assert_converges(service: JobService, namespace: str) -> None:
    """Object by object, the cache ends up holding exactly what the API server holds."""
    cache = service.cache
    assert cache is not None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        truth, cached = _truth(service, namespace), _cached(cache, namespace)
        if truth == cached:
            return
        if time.monotonic() > deadline:
            missing = sorted(set(truth) - set(cached))
            extra = sorted(set(cached) - set(truth))
            stale = sorted(k for k in set(truth) & set(cached) if truth[k] != cached[k])
            raise AssertionError(f"cache differs: missing {missing} extra {extra} stale {stale}")
        time.sleep(0.1)


class Stream:
    """A WatchJobs stream read on its own thread."""

    def __init__(self, service: JobService) -> None:
        self.events: list[pb.JobEvent] = []
        self.active = True
        self._thread = threading.Thread(target=self._read, args=(service,), daemon=True)
        self._thread.start()

    def _read(self, service: JobService) -> None:
        for event in service.watch_jobs(pb.WatchJobsRequest(), lambda: self.active):
            self.events.append(event)

    def final_states(self) -> dict[str, int]:
        return {e.job.job_id: e.job.status for e in self.events if e.job.status in _FINAL}

    def close(self) -> None:
        self.active = False
        self._thread.join(WAIT_SECONDS)


_FINAL = (pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED)


@pytest.fixture
def pauses() -> RecordedPauses:
    return RecordedPauses()


@pytest.fixture
def cached_service(embedded_cluster: Any, pauses: RecordedPauses) -> Iterator[JobService]:
    svc, client = make_service(
        embedded_cluster,
        sleep=lambda _: None,
        cache_testing={"pause": pauses},
        cache_staleness_seconds=0.5,
        cache_watch_timeout_seconds=1,
        k8s_max_retries=0,  # one HTTP request per informer attempt
    )
    yield svc
    svc.stop()
    client.close()


def _relists() -> float:
    return REGISTRY.get_sample_value("jobscheduler_cache_relists_total", {"kind": "jobs"}) or 0.0


def _finishing_jobs(service: JobService, count: int) -> list[str]:
    quick = container(sim={"run-seconds": 30})
    return [service.schedule_job(quick).job_id for _ in range(count)]


def test_watches_expired_again_and_again(cached_service: JobService, embedded_cluster: Any) -> None:
    stream = Stream(cached_service)
    try:
        relists_before = _relists()
        job_ids = _finishing_jobs(cached_service, 5)
        for _ in range(6):  # a compaction every few cluster seconds while the jobs run
            embedded_cluster.faults.expire_watches()
            time.sleep(0.2)
        _wait_until(lambda: len(stream.final_states()) == len(job_ids), "every final state")
        assert stream.final_states() == {job_id: pb.JOB_STATUS_SUCCEEDED for job_id in job_ids}
        assert _relists() > relists_before
        assert_converges(cached_service, embedded_cluster.namespace)
    finally:
        stream.close()


def test_api_server_down_then_back(
    cached_service: JobService, embedded_cluster: Any, pauses: RecordedPauses
) -> None:
    stream = Stream(cached_service)
    try:
        job_ids = _finishing_jobs(cached_service, 3)
        assert cached_service.kubernetes_reachable()
        # Every list and watch fails while the jobs finish (the controllers keep working);
        # ending the open watches makes the informers reconnect into the outage.
        for verb in ("list", "watch"):
            embedded_cluster.faults.fail_next(60, verb=verb, status=503)
        embedded_cluster.faults.expire_watches()
        _wait_until(lambda: not cached_service.kubernetes_reachable(), "NOT_SERVING")
        _wait_until(lambda: sum(pauses.delays) >= 30.0, "an outage of 30 s of backoff")
        embedded_cluster.faults.clear()
        _wait_until(cached_service.kubernetes_reachable, "SERVING again")
        _wait_until(lambda: len(stream.final_states()) == len(job_ids), "every final state")
        assert_converges(cached_service, embedded_cluster.namespace)
    finally:
        stream.close()
    # Each informer's waits double from 0.8 s, jittered down, never above the 30 s cap.
    assert len(pauses.by_informer) == 3  # jobs, cronjobs, pods
    for delays in pauses.by_informer.values():
        for failures, delay in enumerate(delays, start=1):
            nominal = WATCH_BACKOFF.nominal(failures)
            assert nominal * (1 - WATCH_BACKOFF.jitter) <= delay <= nominal


def test_throttled_initial_list(embedded_cluster: Any, pauses: RecordedPauses) -> None:
    seed, seed_client = make_service(embedded_cluster, cached=False)
    for _ in range(12):
        seed.schedule_job(container(execution=pb.ExecutionOptions(start_suspended=True)))
    seed.stop()
    seed_client.close()
    embedded_cluster.faults.fail_next(10, verb="list", status=429, retry_after=0)
    service, client = make_service(
        embedded_cluster,
        sleep=lambda _: None,
        wait_synced=False,
        cache_testing={"pause": pauses},
        cache_page_size=5,  # the storm spans several pages of the first list
    )
    try:
        assert service.cache is not None
        service.cache.start()
        assert not service.kubernetes_reachable()  # NOT_SERVING before the first sync
        assert service.cache.wait_synced(WAIT_SECONDS)
        assert pauses.delays, "the storm outlasted the gateway's own retries"
        assert_converges(service, embedded_cluster.namespace)
        listed = service.list_jobs(pb.ListJobsRequest(page_size=5))
        assert listed.total_size == 12
        _wait_until(service.kubernetes_reachable, "SERVING after the sync")
    finally:
        service.stop()
        client.close()


def test_half_open_watch_is_dropped_and_reopened(
    cached_service: JobService, embedded_cluster: Any
) -> None:
    def restarts() -> float:
        labels = {"kind": "jobs", "reason": "error"}
        return REGISTRY.get_sample_value("jobscheduler_cache_watch_restarts_total", labels) or 0.0

    before = restarts()
    # The next watch of jobs is accepted and then never answered (a connection gone half-open).
    embedded_cluster.faults.hang_next(1, verb="watch", resource="jobs", seconds=60)
    _wait_until(lambda: restarts() > before, "the silent watch to be dropped")
    job_id = cached_service.schedule_job(container()).job_id
    info = cached_service.get_job_status(pb.GetJobStatusRequest(job_id=job_id)).job_info
    assert info.job_id == job_id
    assert_converges(cached_service, embedded_cluster.namespace)
