"""Watches whose connection breaks off mid-stream (API server restart, load balancer):
the stream resumes from the last version seen instead of failing the caller's RPC, backing
off between attempts, and gives up only when the API stays away for long."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import build_registry
from jobscheduler.kube import Resource
from jobscheduler.service.watching import MAX_OUTAGE_SECONDS, JobWatcher

from .support import FakeTime

MANAGED = {"app.kubernetes.io/managed-by": "jobscheduler"}


def _job(version: str, status: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "job-1", "namespace": "default", "resourceVersion": version},
        "spec": {},
        "status": status,
    }


RUNNING = {"active": 1, "ready": 1}
DONE = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}


class BreakingReader:
    """Each watch call plays the next script: events, then optionally a broken connection;
    once the scripts run out, every watch breaks."""

    def __init__(self, scripts: list[tuple[list[dict[str, Any]], bool]]) -> None:
        self._scripts = scripts
        self.resumed_from: list[str] = []

    def watch(
        self, resource: Resource, namespace: str, *, resource_version: str, **_: Any
    ) -> Iterator[Any]:
        self.resumed_from.append(resource_version)
        events, breaks = self._scripts.pop(0) if self._scripts else ([], True)
        yield from events
        if breaks:
            raise errors.Unavailable("the Kubernetes watch connection broke off")

    def list(self, resource: Resource, namespace: str, **_: Any) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": "1"}, "items": [_job("1", {})]}


def _watcher(reader: BreakingReader, fake: FakeTime) -> JobWatcher:
    return JobWatcher(
        reader,  # type: ignore[arg-type]
        build_registry(),
        poll_seconds=1,
        pause=fake.pause,
        now=fake.clock,
    )


def test_watch_job_resumes_after_a_broken_connection() -> None:
    reader = BreakingReader(
        [
            ([{"type": "MODIFIED", "object": _job("2", RUNNING)}], True),
            ([{"type": "MODIFIED", "object": _job("3", DONE)}], False),
        ]
    )
    fake = FakeTime()
    events = list(_watcher(reader, fake).watch_one("default", "job-1", _job("1", {}), lambda: True))
    assert [e.job.status for e in events] == [
        pb.JOB_STATUS_PENDING,
        pb.JOB_STATUS_RUNNING,
        pb.JOB_STATUS_SUCCEEDED,
    ]
    assert reader.resumed_from == ["1", "2"]
    assert len(fake.pauses) == 1


def test_watch_jobs_resumes_after_a_broken_connection() -> None:
    reader = BreakingReader(
        [
            ([{"type": "MODIFIED", "object": _job("2", RUNNING)}], True),
            ([{"type": "MODIFIED", "object": _job("3", DONE)}], False),
        ]
    )
    seen: list[int] = []

    def active() -> bool:
        return len(seen) < 3

    for event in _watcher(reader, FakeTime()).watch_many("default", "", set(), active):
        seen.append(event.job.status)
    assert seen == [pb.JOB_STATUS_PENDING, pb.JOB_STATUS_RUNNING, pb.JOB_STATUS_SUCCEEDED]
    assert reader.resumed_from == ["1", "2"]


def test_a_watch_that_keeps_breaking_reports_unavailable_after_a_long_outage() -> None:
    fake = FakeTime()
    with pytest.raises(errors.Unavailable):
        list(
            _watcher(BreakingReader([]), fake).watch_one(
                "default", "job-1", _job("1", {}), lambda: True
            )
        )
    assert sum(fake.pauses) >= MAX_OUTAGE_SECONDS
    assert max(fake.pauses) <= 30.0


def test_a_caller_that_leaves_during_an_outage_ends_the_stream() -> None:
    fake = FakeTime()
    events = list(
        _watcher(BreakingReader([]), fake).watch_one(
            "default", "job-1", _job("1", {}), lambda: len(fake.pauses) < 3
        )
    )
    assert [e.type for e in events] == [pb.JobEvent.TYPE_INITIAL]
    assert len(fake.pauses) == 3
