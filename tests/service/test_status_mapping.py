"""The Job -> JobStatus mapping and read-back, as pure functions of JSON objects."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import InvalidArgument
from jobscheduler.jobtypes import build_registry
from jobscheduler.service import pagetoken
from jobscheduler.service.ids import JobIdGenerator
from jobscheduler.service.jobinfo import job_info_from_cronjob, job_info_from_job
from jobscheduler.service.status import cronjob_state, job_state

REGISTRY = build_registry()


def job(
    *,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "job-1",
            "namespace": "default",
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "labels": {"app.kubernetes.io/managed-by": "jobscheduler", **(labels or {})},
            "annotations": annotations or {},
        },
        "spec": spec or {},
        "status": status or {},
    }


def condition(kind: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastTransitionTime": "2026-01-02T03:10:00Z",
    }


def pod(phase: str, waiting: str = "", unschedulable: bool = False) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if waiting:
        status["containerStatuses"] = [
            {"name": "job", "state": {"waiting": {"reason": waiting, "message": "pull failed"}}}
        ]
    if unschedulable:
        status["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available",
            }
        ]
    return {"metadata": {"name": "job-1-abcde"}, "status": status}


CASES = [
    ("new job", job(), None, pb.JOB_STATUS_PENDING, ""),
    (
        "pod created, not ready",
        job(status={"active": 1, "ready": 0}),
        None,
        pb.JOB_STATUS_PENDING,
        "PodPending",
    ),
    ("pod ready", job(status={"active": 1, "ready": 1}), None, pb.JOB_STATUS_RUNNING, ""),
    ("old cluster without ready", job(status={"active": 1}), None, pb.JOB_STATUS_RUNNING, ""),
    (
        "pod running",
        job(status={"active": 1, "ready": 0}),
        [pod("Running")],
        pb.JOB_STATUS_RUNNING,
        "",
    ),
    (
        "image pull",
        job(status={"active": 1, "ready": 0}),
        [pod("Pending", waiting="ImagePullBackOff")],
        pb.JOB_STATUS_PENDING,
        "ImagePullBackOff",
    ),
    (
        "unschedulable",
        job(status={"active": 1}),
        [pod("Pending", unschedulable=True)],
        pb.JOB_STATUS_PENDING,
        "Unschedulable",
    ),
    (
        "complete",
        job(status={"conditions": [condition("Complete")]}),
        None,
        pb.JOB_STATUS_SUCCEEDED,
        "Completed",
    ),
    (
        "success criteria met (1.31+)",
        job(status={"conditions": [condition("SuccessCriteriaMet")]}),
        None,
        pb.JOB_STATUS_SUCCEEDED,
        "Completed",
    ),
    (
        "backoff limit",
        job(status={"conditions": [condition("Failed", "BackoffLimitExceeded", "too many")]}),
        None,
        pb.JOB_STATUS_FAILED,
        "BackoffLimitExceeded",
    ),
    (
        "failure target before Failed (1.31+)",
        job(status={"conditions": [condition("FailureTarget", "DeadlineExceeded")]}),
        None,
        pb.JOB_STATUS_FAILED,
        "DeadlineExceeded",
    ),
    ("suspended", job(spec={"suspend": True}), None, pb.JOB_STATUS_SUSPENDED, "Suspended"),
    (
        "waiting for start_at",
        job(
            spec={"suspend": True},
            labels={"jobscheduler.io/start-at": "1767330000"},
            annotations={"jobscheduler.io/start-at": "2026-01-02T05:00:00Z"},
        ),
        None,
        pb.JOB_STATUS_SCHEDULED,
        "WaitingForStartTime",
    ),
    (
        "cancelled",
        job(
            spec={"suspend": True},
            annotations={"jobscheduler.io/cancelled-at": "2026-01-02T03:05:00Z"},
        ),
        None,
        pb.JOB_STATUS_CANCELLED,
        "Cancelled",
    ),
    (
        "finished before the cancel landed",
        job(
            spec={"suspend": True},
            annotations={"jobscheduler.io/cancelled-at": "2026-01-02T03:05:00Z"},
            status={"conditions": [condition("Complete")]},
        ),
        None,
        pb.JOB_STATUS_SUCCEEDED,
        "Completed",
    ),
    (
        "ignores False conditions",
        job(status={"conditions": [{"type": "Failed", "status": "False"}]}),
        None,
        pb.JOB_STATUS_PENDING,
        "",
    ),
]


@pytest.mark.parametrize(
    ("obj", "pods", "status", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_job_state(obj: dict[str, Any], pods: Any, status: int, reason: str) -> None:
    state = job_state(obj, pods)
    assert (pb.JobStatus.Name(state.status), state.reason) == (pb.JobStatus.Name(status), reason)  # type: ignore[arg-type]


def test_cronjob_state() -> None:
    cron: dict[str, Any] = {"metadata": {}, "spec": {"schedule": "@daily"}}
    assert cronjob_state(cron).status == pb.JOB_STATUS_SCHEDULED
    cron["spec"]["suspend"] = True
    assert cronjob_state(cron).status == pb.JOB_STATUS_SUSPENDED
    cron["metadata"]["annotations"] = {"jobscheduler.io/cancelled-at": "2026-01-02T03:05:00Z"}
    assert cronjob_state(cron).status == pb.JOB_STATUS_CANCELLED


def test_job_info_times_counts_and_user_metadata() -> None:
    obj = job(
        labels={
            "team": "a",
            "jobscheduler.io/job-type": "timer",
            "jobscheduler.io/schedule-id": "s",
        },
        annotations={"note": "x", "jobscheduler.io/name": "n", "jobscheduler.io/created-by": "me"},
        status={
            "startTime": "2026-01-02T03:04:06Z",
            "active": 0,
            "succeeded": 1,
            "failed": 2,
            "conditions": [condition("Failed", "BackoffLimitExceeded")],
        },
    )
    info = job_info_from_job(obj, REGISTRY)
    assert info.labels == {"team": "a"}
    assert info.annotations == {"note": "x"}
    assert (info.name, info.created_by, info.job_type, info.schedule_id) == (
        "n",
        "me",
        "timer",
        "s",
    )
    assert (info.attempts, info.succeeded, info.failed) == (3, 1, 2)
    created = int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())
    assert (info.created_at, info.started_at, info.completed_at) == (
        created,
        created + 1,
        created + 355,
    )
    assert info.create_time.seconds == info.created_at
    assert info.completion_time.seconds == info.completed_at
    assert info.WhichOneof("job_details") == "timer_details"


def test_cronjob_info_reads_schedule_from_spec_when_annotation_missing() -> None:
    cron = {
        "metadata": {"name": "nightly", "labels": {"jobscheduler.io/job-type": "container"}},
        "spec": {"schedule": "0 3 * * *", "timeZone": "UTC", "jobTemplate": {"spec": {}}},
        "status": {"lastScheduleTime": "2026-01-02T03:00:00Z", "active": [{"name": "nightly-1"}]},
    }
    info = job_info_from_cronjob(cron, REGISTRY)
    assert (info.k8s_kind, info.schedule_id, info.schedule.cron) == (
        "CronJob",
        "nightly",
        "0 3 * * *",
    )
    assert list(info.active_runs) == ["nightly-1"]
    assert info.last_schedule_time.seconds > 0


def test_generated_ids_sort_newest_first() -> None:
    generate = JobIdGenerator(random.Random(7))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [generate(start + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert sorted(ids) == list(reversed(ids))
    assert all(len(i) == 19 for i in ids)


def test_page_tokens_round_trip_and_refuse_tampering() -> None:
    token = pagetoken.PageToken("k8s-continue", "job-5")
    encoded = pagetoken.encode(token, "filters-a")
    assert pagetoken.decode(encoded, "filters-a") == token
    for bad, filters in ((encoded, "filters-b"), ("!!!", "filters-a"), ("e30", "filters-a")):
        with pytest.raises(InvalidArgument) as error:
            pagetoken.decode(bad, filters)
        assert [v.field for v in error.value.violations] == ["page_token"]


def test_a_running_pod_the_job_controller_has_not_counted_yet_counts_as_active() -> None:
    # The job controller updates status.active after the pod starts; meanwhile the status
    # read from the pod must not say RUNNING with 0 active.
    info = job_info_from_job(job(status={}), REGISTRY, [pod("Running")])
    assert (info.status, info.active, info.attempts) == (pb.JOB_STATUS_RUNNING, 1, 1)
    counted = job_info_from_job(job(status={"active": 3, "ready": 3}), REGISTRY, [pod("Running")])
    assert counted.active == 3


def test_a_running_job_without_a_start_time_yet_takes_it_from_its_pods() -> None:
    # Same lag for status.startTime: RUNNING must come with a start time.
    early, late = pod("Running"), pod("Running")
    early["status"]["startTime"] = "2026-11-24T04:00:00Z"
    late["status"]["startTime"] = "2026-11-24T04:00:05Z"
    info = job_info_from_job(job(status={}), REGISTRY, [late, early])
    assert info.status == pb.JOB_STATUS_RUNNING
    assert info.start_time.ToJsonString() == "2026-11-24T04:00:00Z"
    assert info.started_at == info.start_time.seconds
    recorded = job(status={"active": 1, "ready": 1, "startTime": "2026-11-24T03:59:58Z"})
    assert job_info_from_job(recorded, REGISTRY, [early]).start_time.ToJsonString() == (
        "2026-11-24T03:59:58Z"
    )
