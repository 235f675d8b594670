"""The CronJob controller's decisions, without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kubesim.controllers.cronjob_logic import reconcile_cronjob

CREATED = "2026-11-23T16:00:30Z"


def make_cronjob(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schedule": "*/5 * * * *",
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"labels": {"team": "a"}},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "image": "x:1"}]}}},
        },
    }
    base.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "nightly",
            "namespace": "default",
            "uid": "cj-uid",
            "creationTimestamp": CREATED,
        },
        "spec": base,
        "status": {},
    }


def make_owned_job(
    name: str, state: str | None = None, started: str = "2026-11-23T16:05:00Z"
) -> dict[str, Any]:
    status: dict[str, Any] = {"startTime": started}
    if state is not None:
        status["conditions"] = [{"type": state, "status": "True"}]
        if state == "Complete":
            status["completionTime"] = started
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "resourceVersion": "7",
        },
        "status": status,
    }


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_nothing_is_due_before_the_first_scheduled_time() -> None:
    actions = reconcile_cronjob(make_cronjob(), [], moment("2026-11-23T16:03:00"))
    assert actions.job_to_create is None
    assert actions.requeue_after == 120.0


def test_due_schedule_creates_a_job_named_after_the_scheduled_minute() -> None:
    actions = reconcile_cronjob(make_cronjob(), [], moment("2026-11-23T16:05:02"))
    job = actions.job_to_create
    assert job is not None
    scheduled = moment("2026-11-23T16:05:00")
    assert job["metadata"]["name"] == f"nightly-{int(scheduled.timestamp()) // 60}"
    assert job["metadata"]["annotations"] == {
        "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-11-23T16:05:00Z"
    }
    assert job["metadata"]["labels"] == {"team": "a"}
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert job["metadata"]["ownerReferences"][0]["controller"] is True
    assert actions.status["lastScheduleTime"] == "2026-11-23T16:05:00Z"


def test_already_scheduled_time_is_not_run_twice() -> None:
    cronjob = make_cronjob()
    cronjob["status"] = {"lastScheduleTime": "2026-11-23T16:05:00Z"}
    actions = reconcile_cronjob(cronjob, [], moment("2026-11-23T16:06:00"))
    assert actions.job_to_create is None


def test_time_zone_is_honoured() -> None:
    cronjob = make_cronjob(schedule="0 9 * * *", timeZone="Europe/Berlin")
    actions = reconcile_cronjob(cronjob, [], moment("2026-11-24T08:00:10"))
    job = actions.job_to_create
    assert job is not None
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == (
        "2026-11-24T09:00:00+01:00"
    )
    assert actions.status["lastScheduleTime"] == "2026-11-24T08:00:00Z"


def test_cron_tz_prefix_is_honoured() -> None:
    cronjob = make_cronjob(schedule="CRON_TZ=Asia/Tokyo 0 9 * * *")
    actions = reconcile_cronjob(cronjob, [], moment("2026-11-24T00:00:05"))
    assert actions.status["lastScheduleTime"] == "2026-11-24T00:00:00Z"


def test_forbid_skips_while_a_job_is_running() -> None:
    running = make_owned_job("nightly-1")
    actions = reconcile_cronjob(
        make_cronjob(concurrencyPolicy="Forbid"), [running], moment("2026-11-23T16:10:01")
    )
    assert actions.job_to_create is None
    assert [e.reason for e in actions.events] == ["JobAlreadyActive"]
    assert [ref["name"] for ref in actions.status["active"]] == ["nightly-1"]


def test_replace_deletes_the_running_job() -> None:
    running = make_owned_job("nightly-1")
    actions = reconcile_cronjob(
        make_cronjob(concurrencyPolicy="Replace"), [running], moment("2026-11-23T16:10:01")
    )
    assert actions.jobs_to_delete == ["nightly-1"]
    assert actions.job_to_create is not None


def test_suspended_cronjob_creates_nothing() -> None:
    actions = reconcile_cronjob(make_cronjob(suspend=True), [], moment("2026-11-23T16:05:02"))
    assert actions.job_to_create is None


def test_missed_starting_deadline_skips_the_run() -> None:
    actions = reconcile_cronjob(
        make_cronjob(startingDeadlineSeconds=10), [], moment("2026-11-23T16:05:30")
    )
    assert actions.job_to_create is None
    assert [e.reason for e in actions.events] == ["MissSchedule"]


def test_completed_job_sets_last_successful_time_and_leaves_active() -> None:
    cronjob = make_cronjob()
    cronjob["status"] = {
        "lastScheduleTime": "2026-11-23T16:05:00Z",
        "active": [{"kind": "Job", "name": "nightly-1", "uid": "uid-nightly-1"}],
    }
    done = make_owned_job("nightly-1", "Complete", started="2026-11-23T16:05:20Z")
    actions = reconcile_cronjob(cronjob, [done], moment("2026-11-23T16:06:00"))
    assert "active" not in actions.status
    assert actions.status["lastSuccessfulTime"] == "2026-11-23T16:05:20Z"
    assert [(e.reason, e.message) for e in actions.events] == [
        ("SawCompletedJob", "Saw completed job: nightly-1, status: Complete")
    ]


def test_history_limits_delete_the_oldest_finished_jobs() -> None:
    cronjob = make_cronjob(successfulJobsHistoryLimit=1, failedJobsHistoryLimit=0)
    jobs = [
        make_owned_job("ok-old", "Complete", started="2026-11-23T16:00:00Z"),
        make_owned_job("ok-new", "Complete", started="2026-11-23T16:01:00Z"),
        make_owned_job("bad", "Failed", started="2026-11-23T16:02:00Z"),
    ]
    actions = reconcile_cronjob(cronjob, jobs, moment("2026-11-23T16:03:00"))
    assert sorted(actions.jobs_to_delete) == ["bad", "ok-old"]


def test_a_run_that_already_exists_is_neither_replaced_nor_created_again() -> None:
    scheduled = moment("2026-11-23T16:05:00")
    existing = make_owned_job(f"nightly-{int(scheduled.timestamp()) // 60}")
    cronjob = make_cronjob(concurrencyPolicy="Replace")  # status not yet showing that run
    actions = reconcile_cronjob(cronjob, [existing], moment("2026-11-23T16:05:01"))
    assert actions.job_to_create is None
    assert actions.jobs_to_delete == []
    assert actions.status["lastScheduleTime"] == "2026-11-23T16:05:00Z"
