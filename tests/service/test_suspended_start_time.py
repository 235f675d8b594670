"""A suspended job that ran keeps the start time it first had.

Current Kubernetes removes ``status.startTime`` from a suspended Job once its pods are gone and
sets a new one on resume (the v1.36 captures C5 and C7), so the service records the first start
in the ``jobscheduler.io/first-started-at`` annotation when it suspends or cancels a Job.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import build_registry
from jobscheduler.jobtypes.metadata import FIRST_STARTED_AT_ANNOTATION
from jobscheduler.service import JobService
from jobscheduler.service.jobinfo import job_info_from_job
from jobscheduler.service.status import first_start_annotations

from .support import WAIT_SECONDS, container, wait_status

REGISTRY = build_registry()


def _job(status: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "job-1", "namespace": "default", "annotations": annotations or {}},
        "spec": {"suspend": True},
        "status": status,
    }


def test_the_first_start_is_recorded_once() -> None:
    running = _job({"startTime": "2026-11-24T04:00:00Z", "active": 1})
    assert first_start_annotations(running) == {FIRST_STARTED_AT_ANNOTATION: "2026-11-24T04:00:00Z"}
    recorded = _job(
        {"startTime": "2026-11-24T05:00:00Z"}, {FIRST_STARTED_AT_ANNOTATION: "2026-11-24T04:00:00Z"}
    )
    assert first_start_annotations(recorded) == {}
    assert first_start_annotations(_job({})) == {}  # never started: nothing to keep


def test_a_suspended_job_without_start_time_reads_the_recorded_one() -> None:
    # The Job as a v1.36 control plane shows it once suspended (C5): no startTime.
    suspended = _job(
        {"terminating": 0, "ready": 0}, {FIRST_STARTED_AT_ANNOTATION: "2026-11-24T04:00:00Z"}
    )
    info = job_info_from_job(suspended, REGISTRY, [])
    assert info.status == pb.JOB_STATUS_SUSPENDED
    assert info.start_time.ToJsonString() == "2026-11-24T04:00:00Z"
    # Resumed (C7): a new startTime; the first one still wins.
    resumed = _job(
        {"startTime": "2026-11-24T05:00:00Z", "active": 1}, suspended["metadata"]["annotations"]
    )
    resumed["spec"]["suspend"] = False
    assert job_info_from_job(resumed, REGISTRY, []).start_time.ToJsonString() == (
        "2026-11-24T04:00:00Z"
    )
    # Without the annotation (suspended by someone else) the start is unknown.
    assert job_info_from_job(_job({}), REGISTRY, []).started_at == 0


def _until(fetch: Any, done: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    value = fetch()
    while not done(value):
        assert time.monotonic() < deadline, f"timed out waiting for {what}; last seen {value}"
        time.sleep(0.05)
        value = fetch()
    return value


@pytest.mark.clock_speed(60)
def test_suspending_and_resuming_a_running_job_keeps_its_first_start(
    service: JobService, cluster: Any
) -> None:
    info = service.schedule_job(container(sim={"run-seconds": 3600})).job_info
    namespace, job_id = info.namespace, info.job_id

    def k8s_job() -> Any:
        return cluster.api.get("jobs", namespace, job_id)

    wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    started = _until(k8s_job, lambda j: j["status"].get("startTime"), "startTime")["status"]
    first = started["startTime"]

    service.suspend_job(pb.SuspendJobRequest(job_id=job_id))
    _until(k8s_job, lambda j: "startTime" not in j["status"], "Kubernetes to drop startTime")
    suspended = service.get_job_status(pb.GetJobStatusRequest(job_id=job_id)).job_info
    assert suspended.status == pb.JOB_STATUS_SUSPENDED
    assert suspended.start_time.ToJsonString() == first

    service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    resumed = _until(k8s_job, lambda j: j["status"].get("startTime"), "a new startTime")
    assert resumed["status"]["startTime"] > first
    info = wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    assert info.start_time.ToJsonString() == first
