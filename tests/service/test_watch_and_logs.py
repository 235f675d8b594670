"""WatchJob / WatchJobs (incl. watch expiry) and GetJobLogs, against the cluster."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import InvalidArgument
from jobscheduler.service import JobService

from .conftest import make_service
from .support import WAIT_SECONDS, container, wait_status

pytestmark = pytest.mark.clock_speed(60)

INITIAL, CHANGED, DELETED = (
    pb.JobEvent.TYPE_INITIAL,
    pb.JobEvent.TYPE_CHANGED,
    pb.JobEvent.TYPE_DELETED,
)


def _cache_watches_ended() -> float:
    """Watches of jobs the cache saw end (on time or cut) and lists it made again after a 410;
    the streams above are fed by that watch."""
    ended = 0.0
    for reason in ("timeout", "error"):
        labels = {"kind": "jobs", "reason": reason}
        ended += REGISTRY.get_sample_value("jobscheduler_cache_watch_restarts_total", labels) or 0
    relists = REGISTRY.get_sample_value("jobscheduler_cache_relists_total", {"kind": "jobs"})
    return ended + (relists or 0.0)


def _wait_for_cache_watch_end(before: float) -> None:
    """The cache's watch ends a moment after the compaction, maybe after the events above."""
    deadline = time.monotonic() + WAIT_SECONDS
    while _cache_watches_ended() <= before:
        assert time.monotonic() < deadline, "the cache's watch of jobs never ended"
        time.sleep(0.05)


def _statuses(events: list[pb.JobEvent]) -> list[int]:
    return [event.job.status for event in events]


def test_watch_job_sees_every_transition_and_ends_at_the_final_state(
    service: JobService,
) -> None:
    # Two seconds of real time at 60x, so the Job controller writes the running state even on a
    # loaded machine (a shorter run can go from pending to succeeded in one status update).
    job_id = service.schedule_job(
        container(sim={"run-seconds": 120}, execution=pb.ExecutionOptions(start_suspended=True))
    ).job_id
    events: list[pb.JobEvent] = []
    stream = service.watch_job(pb.WatchJobRequest(job_id=job_id), lambda: True)
    events.append(next(stream))
    service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    events += list(stream)  # ends by itself at the final state
    assert [e.type for e in events] == [INITIAL] + [CHANGED] * (len(events) - 1)
    statuses = _statuses(events)
    assert statuses[0] == pb.JOB_STATUS_SUSPENDED
    assert statuses[-1] == pb.JOB_STATUS_SUCCEEDED
    assert pb.JOB_STATUS_RUNNING in statuses
    # Only real changes: consecutive events always differ in status, reason or counts.
    keys = [(e.job.status, e.job.reason, e.job.active, e.job.succeeded) for e in events]
    assert all(a != b for a, b in itertools.pairwise(keys))


def test_watch_job_survives_watch_expiry_without_missing_the_final_state(
    service: JobService, embedded_cluster: Any
) -> None:
    ended_before = _cache_watches_ended()
    # Two seconds of real time at 60x: not yet finished at the first read, however busy the
    # machine.
    job_id = service.schedule_job(container(sim={"run-seconds": 120})).job_id
    stream = service.watch_job(pb.WatchJobRequest(job_id=job_id), lambda: True)
    initial = next(stream)  # the watch resumes from this read's resourceVersion
    assert initial.type == INITIAL
    assert initial.job.status != pb.JOB_STATUS_SUCCEEDED
    # While the stream is not being read, the job finishes and the history it would resume
    # from is compacted away: resuming gets 410 Gone.
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    embedded_cluster.faults.expire_watches("jobs")
    rest = list(stream)
    assert [(e.type, e.job.status) for e in rest] == [(CHANGED, pb.JOB_STATUS_SUCCEEDED)]
    assert rest[-1].job.succeeded == 1
    _wait_for_cache_watch_end(ended_before)  # the watch really was cut


def test_watch_job_stops_when_the_caller_goes_away(service: JobService) -> None:
    job_id = service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    active = [True]
    stream = service.watch_job(pb.WatchJobRequest(job_id=job_id), lambda: active[0])
    next(stream)
    active[0] = False
    rest = list(stream)  # ends although the job runs on (it would run for another minute)
    assert all(e.type == CHANGED and e.job.status != pb.JOB_STATUS_SUCCEEDED for e in rest)


def _collect(stream: Iterator[pb.JobEvent], until: Any, active: list[bool]) -> list[pb.JobEvent]:
    events = []
    for event in stream:
        events.append(event)
        if until(events):
            active[0] = False
            break
    return events


def test_watch_jobs_streams_changes_of_matching_jobs(service: JobService) -> None:
    existing = service.schedule_job(
        container(labels={"team": "a"}, execution=pb.ExecutionOptions(start_suspended=True))
    ).job_id
    service.schedule_job(container(labels={"team": "other"}, sim={"run-seconds": 3600}))
    active = [True]
    stream = service.watch_jobs(
        pb.WatchJobsRequest(label_selector={"team": "a"}), lambda: active[0]
    )
    first = next(stream)
    assert (first.type, first.job.job_id) == (INITIAL, existing)
    # Two seconds of real time at the test clock's 60x: long enough for the Job controller to
    # write the running state even on a loaded machine (a 1 s default run can go straight from
    # pending to succeeded in one status update, which is what a real controller may do too).
    new_id = service.schedule_job(container(labels={"team": "a"}, sim={"run-seconds": 120})).job_id
    service.delete_job(pb.DeleteJobRequest(job_id=existing))

    def done(events: list[pb.JobEvent]) -> bool:
        deleted = any(e.type == DELETED and e.job.job_id == existing for e in events)
        succeeded = any(
            e.job.job_id == new_id and e.job.status == pb.JOB_STATUS_SUCCEEDED for e in events
        )
        return deleted and succeeded

    events = _collect(stream, done, active)
    assert {e.job.labels["team"] for e in events} == {"a"}
    new_statuses = [e.job.status for e in events if e.job.job_id == new_id]
    assert new_statuses[-1] == pb.JOB_STATUS_SUCCEEDED
    assert pb.JOB_STATUS_RUNNING in new_statuses


def test_watch_jobs_relists_after_expiry_and_reports_what_it_missed(
    service: JobService, embedded_cluster: Any
) -> None:
    ended_before = _cache_watches_ended()
    suspended = pb.ExecutionOptions(start_suspended=True)
    finishing = service.schedule_job(container(labels={"w": "1"}, execution=suspended)).job_id
    vanishing = service.schedule_job(container(labels={"w": "1"}, execution=suspended)).job_id
    active = [True]
    stream = service.watch_jobs(pb.WatchJobsRequest(label_selector={"w": "1"}), lambda: active[0])
    initial = [next(stream), next(stream)]
    assert {(e.type, e.job.job_id) for e in initial} == {(INITIAL, finishing), (INITIAL, vanishing)}
    # While nobody reads the stream, one job finishes and one is deleted, and the history the
    # watch would resume from is compacted away.
    service.resume_job(pb.ResumeJobRequest(job_id=finishing))
    wait_status(service, finishing, pb.JOB_STATUS_SUCCEEDED)
    service.delete_job(pb.DeleteJobRequest(job_id=vanishing))
    embedded_cluster.faults.expire_watches("jobs")

    def done(events: list[pb.JobEvent]) -> bool:
        return len(events) == 2

    events = _collect(stream, done, active)
    assert {(e.type, e.job.job_id, e.job.status) for e in events} == {
        (CHANGED, finishing, pb.JOB_STATUS_SUCCEEDED),
        (DELETED, vanishing, pb.JOB_STATUS_SUSPENDED),
    }
    _wait_for_cache_watch_end(ended_before)


def test_watch_jobs_with_a_status_filter_only_reports_matching_states(
    service: JobService,
) -> None:
    active = [True]
    stream = service.watch_jobs(
        pb.WatchJobsRequest(status_filter=[pb.JOB_STATUS_SUCCEEDED]), lambda: active[0]
    )
    job_id = service.schedule_job(container(sim={"run-seconds": 5})).job_id
    first = next(stream)  # nothing while the job is pending or running
    active[0] = False
    assert (first.job.job_id, first.job.status) == (job_id, pb.JOB_STATUS_SUCCEEDED)


def test_logs_of_a_finished_job(service: JobService) -> None:
    lines = "\n".join(f"line {n}" for n in range(1, 11))
    job_id = service.schedule_job(container(sim={"logs": lines})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    chunks = list(service.get_job_logs(pb.GetJobLogsRequest(job_id=job_id), lambda: True))
    assert "".join(c.text for c in chunks) == lines + "\n"
    assert {c.pod_name for c in chunks} == {chunks[0].pod_name}
    assert chunks[0].pod_name.startswith(job_id + "-")

    tail = list(
        service.get_job_logs(pb.GetJobLogsRequest(job_id=job_id, tail_lines=2), lambda: True)
    )
    assert "".join(c.text for c in tail) == "line 9\nline 10\n"

    limited = list(
        service.get_job_logs(pb.GetJobLogsRequest(job_id=job_id, limit_bytes=10), lambda: True)
    )
    assert "".join(c.text for c in limited) == "line 1\nlin"


def test_follow_streams_every_attempt_until_the_job_ends(service: JobService) -> None:
    req = container(
        sim={"logs": "working\ndone", "run-seconds": 10, "fail-attempts": 1},
        execution=pb.ExecutionOptions(max_retries=2),
    )
    job_id = service.schedule_job(req).job_id
    chunks = list(
        service.get_job_logs(pb.GetJobLogsRequest(job_id=job_id, follow=True), lambda: True)
    )
    pods = []
    for chunk in chunks:
        if chunk.pod_name not in pods:
            pods.append(chunk.pod_name)
    assert len(pods) == 2  # the failed attempt and the retry
    for pod in pods:
        assert "".join(c.text for c in chunks if c.pod_name == pod) == "working\ndone\n"
    assert (
        service.get_job_status(pb.GetJobStatusRequest(job_id=job_id)).status
        == pb.JOB_STATUS_SUCCEEDED
    )


def test_a_followed_log_ends_when_the_caller_leaves_even_if_the_pod_is_silent(
    service: JobService,
) -> None:
    # The container prints one line, then nothing for ~a day of cluster time.
    job_id = service.schedule_job(container(sim={"logs": "started", "run-seconds": 86400})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    active = [True]
    stream = service.get_job_logs(
        pb.GetJobLogsRequest(job_id=job_id, follow=True), lambda: active[0]
    )
    first = next(stream)
    assert first.text == "started\n"
    # The client goes away while the next read is blocked waiting for a line.
    leave = threading.Timer(0.3, active.__setitem__, args=(0, False))
    leave.start()
    try:
        assert list(stream) == []
    finally:
        leave.cancel()


@pytest.mark.parametrize(
    "cache", ["cluster-wide", "one namespace", "none"], ids=lambda c: f"cache={c}"
)
def test_watch_jobs_in_all_namespaces_sees_every_namespace(cluster: Any, cache: str) -> None:
    # Fed by the cache's fan-out when it watches every namespace, else by a cluster-wide watch
    # of the API server for the stream.
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-x"}}
    cluster.api.create("namespaces", None, body)
    svc, client = make_service(
        cluster, cached=cache != "none", cache_namespaces="*" if cache == "cluster-wide" else ""
    )
    try:
        suspended = pb.ExecutionOptions(start_suspended=True)
        here = svc.schedule_job(container(execution=suspended)).job_id
        active = [True]
        stream = svc.watch_jobs(pb.WatchJobsRequest(all_namespaces=True), lambda: active[0])
        first = next(stream)
        assert (first.type, first.job.job_id) == (INITIAL, here)
        there = svc.schedule_job(container(namespace="team-x", execution=suspended)).job_id
        events = _collect(stream, lambda seen: seen[-1].job.job_id == there, active)
        assert (events[-1].type, events[-1].job.namespace) == (CHANGED, "team-x")
    finally:
        svc.stop()
        client.close()


def test_watch_jobs_takes_a_namespace_or_all_namespaces_not_both(service: JobService) -> None:
    with pytest.raises(InvalidArgument) as refused:
        service.watch_jobs(pb.WatchJobsRequest(namespace="a", all_namespaces=True), lambda: True)
    assert [v.field for v in refused.value.violations] == ["all_namespaces"]
