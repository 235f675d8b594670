"""Watches whose connection breaks off mid-stream (API server restart, load balancer):
the stream resumes from the last version seen instead of failing the caller's RPC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import build_registry
from jobscheduler.service.watching import JobWatcher

MANAGED = {"app.kubernetes.io/managed-by": "jobscheduler"}


def _job(version: str, status: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "job-1", "namespace": "default", "resourceVersion": version},
        "spec": {},
        "status": status,
    }


RUNNING = {"active": 1, "ready": 1}
DONE = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}


class BreakingGateway:
    """Each watch call plays the next script: events, then optionally a broken connection."""

    def __init__(self, scripts: list[tuple[list[dict[str, Any]], bool]]) -> None:
        self._scripts = scripts
        self.resumed_from: list[str] = []

    def watch_jobs(self, namespace: str, *, resource_version: str, **_: Any) -> Iterator[Any]:
        self.resumed_from.append(resource_version)
        events, breaks = self._scripts.pop(0)
        yield from events
        if breaks:
            raise errors.Unavailable("the Kubernetes watch connection broke off")

    def list_jobs(self, namespace: str, **_: Any) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": "1"}, "items": [_job("1", {})]}


def test_watch_job_resumes_after_a_broken_connection() -> None:
    gateway = BreakingGateway(
        [
            ([{"type": "MODIFIED", "object": _job("2", RUNNING)}], True),
            ([{"type": "MODIFIED", "object": _job("3", DONE)}], False),
        ]
    )
    watcher = JobWatcher(gateway, build_registry(), poll_seconds=1)  # type: ignore[arg-type]
    events = list(watcher.watch_one("default", "job-1", _job("1", {}), lambda: True))
    assert [e.job.status for e in events] == [
        pb.JOB_STATUS_PENDING,
        pb.JOB_STATUS_RUNNING,
        pb.JOB_STATUS_SUCCEEDED,
    ]
    assert gateway.resumed_from == ["1", "2"]


def test_watch_jobs_resumes_after_a_broken_connection() -> None:
    gateway = BreakingGateway(
        [
            ([{"type": "MODIFIED", "object": _job("2", RUNNING)}], True),
            ([{"type": "MODIFIED", "object": _job("3", DONE)}], False),
        ]
    )
    watcher = JobWatcher(gateway, build_registry(), poll_seconds=1)  # type: ignore[arg-type]
    seen: list[int] = []

    def active() -> bool:
        return len(seen) < 3

    for event in watcher.watch_many("default", "", set(), active):
        seen.append(event.job.status)
    assert seen == [pb.JOB_STATUS_PENDING, pb.JOB_STATUS_RUNNING, pb.JOB_STATUS_SUCCEEDED]
    assert gateway.resumed_from == ["1", "2"]


def test_a_watch_that_keeps_breaking_reports_unavailable() -> None:
    gateway = BreakingGateway([([], True)] * 10)
    watcher = JobWatcher(gateway, build_registry(), poll_seconds=1)  # type: ignore[arg-type]
    with pytest.raises(errors.Unavailable):
        list(watcher.watch_one("default", "job-1", _job("1", {}), lambda: True))
