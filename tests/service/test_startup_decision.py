"""service.startup's decision, as pure functions of the Job and its pods (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.metadata import STARTUP_DEADLINE_LABEL
from jobscheduler.service import startup
from jobscheduler.service.status import job_state

STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
JSON = dict[str, Any]


def job(deadline: str | None = "60", **status: Any) -> JSON:
    labels = {STARTUP_DEADLINE_LABEL: deadline} if deadline is not None else {}
    return {
        "metadata": {
            "name": "j",
            "namespace": "ns",
            "resourceVersion": "7",
            "creationTimestamp": "2026-01-01T11:59:00Z",
            "labels": labels,
        },
        "spec": {},
        "status": {"startTime": "2026-01-01T12:00:00Z", "active": 1} | status,
    }


def pulling(reason: str = "ImagePullBackOff") -> JSON:
    waiting = {"reason": reason, "message": 'Back-off pulling image "nope:1"'}
    return {"status": {"phase": "Pending", "containerStatuses": [{"state": {"waiting": waiting}}]}}


def unschedulable() -> JSON:
    condition = {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": "0/3 nodes are available: 3 Insufficient cpu.",
    }
    return {"status": {"phase": "Pending", "conditions": [condition]}}


AFTER = STARTED + timedelta(seconds=61)


@pytest.mark.parametrize(
    ("pod", "reason"),
    [
        (pulling(), "ImagePullBackOff"),
        (pulling("ErrImagePull"), "ImagePullBackOff"),
        (pulling("InvalidImageName"), "InvalidImageName"),
        (unschedulable(), "Unschedulable"),
    ],
)
def test_a_pod_that_cannot_start_past_the_deadline_ends_the_job(pod: JSON, reason: str) -> None:
    failure = startup.startup_failure(job(), [pod], AFTER)
    assert failure is not None
    assert failure.reason == reason
    assert "within the startup deadline of 60 s" in failure.message


def test_before_the_deadline_nothing_happens() -> None:
    assert startup.startup_failure(job(), [pulling()], STARTED + timedelta(seconds=59)) is None


@pytest.mark.parametrize(
    "case",
    [
        job(deadline=None),
        job(deadline="0"),
        job(deadline="soon"),
        job(ready=1),
        job(succeeded=1),
        job(conditions=[{"type": "Failed", "status": "True"}]),
        job() | {"spec": {"suspend": True}},
    ],
)
def test_jobs_without_a_deadline_or_not_stuck_are_left_alone(case: JSON) -> None:
    assert startup.startup_failure(case, [pulling()], AFTER) is None


def test_a_job_with_a_pod_that_got_going_is_not_stuck() -> None:
    running = {"status": {"phase": "Running"}}
    assert startup.startup_failure(job(), [pulling(), running], AFTER) is None
    assert startup.startup_failure(job(), [{"status": {"phase": "Pending"}}], AFTER) is None


def test_the_deadline_counts_from_creation_when_the_job_has_not_started() -> None:
    not_started = job()
    del not_started["status"]["startTime"]
    assert startup.startup_failure(not_started, [unschedulable()], AFTER - timedelta(seconds=60))


def test_the_patch_is_conditional_and_reads_back_failed_with_the_reason() -> None:
    stuck = job()
    failure = startup.startup_failure(stuck, [unschedulable()], AFTER)
    assert failure is not None
    patch = startup.failure_patch(stuck, failure)
    assert patch["metadata"]["resourceVersion"] == "7"
    assert patch["spec"] == {"activeDeadlineSeconds": 1}
    stuck["metadata"]["annotations"] = patch["metadata"]["annotations"]
    # Once ended it reads FAILED with our reason, also after Kubernetes' own DeadlineExceeded.
    stuck["status"]["conditions"] = [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}
    ]
    state = job_state(stuck)
    assert (state.status, state.reason) == (pb.JOB_STATUS_FAILED, "Unschedulable")
    assert "0/3 nodes are available" in state.message
    assert startup.startup_failure(stuck, [unschedulable()], AFTER) is None
