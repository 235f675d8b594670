"""The CronJob controller's decisions as a pure function: (cronjob, its Jobs, now) -> actions."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from croniter import croniter

from kubesim.clusterapi import JSON
from kubesim.controllers.conditions import condition_is_true
from kubesim.controllers.job_logic import Event
from kubesim.controllers.timeutil import format_time, parse_time, seconds_between

SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
FORBID_MESSAGE = (
    "Not starting job because prior execution is running and concurrency policy is Forbid"
)


@dataclass
class CronJobActions:
    status: JSON
    job_to_create: JSON | None = None
    jobs_to_delete: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    requeue_after: float | None = None


def parse_schedule(cronjob: JSON) -> tuple[str, tzinfo]:
    """The cron expression and its time zone (``spec.timeZone`` or a ``CRON_TZ=`` prefix)."""
    spec = cronjob.get("spec") or {}
    expression = str(spec.get("schedule") or "").strip()
    zone_name = spec.get("timeZone")
    for prefix in ("CRON_TZ=", "TZ="):
        if expression.startswith(prefix):
            zone_part, _, expression = expression.partition(" ")
            zone_name = zone_name or zone_part[len(prefix) :]
            expression = expression.strip()
    zone: tzinfo = ZoneInfo(zone_name) if zone_name else UTC
    return expression, zone


def job_state(job: JSON) -> str | None:
    status = job.get("status") or {}
    if condition_is_true(status, "Complete"):
        return "Complete"
    if condition_is_true(status, "Failed"):
        return "Failed"
    return None


def job_name_for(cronjob: JSON, scheduled: datetime) -> str:
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def reconcile_cronjob(cronjob: JSON, jobs: list[JSON], now: datetime) -> CronJobActions:
    spec = cronjob.get("spec") or {}
    status = copy.deepcopy(cronjob.get("status") or {})
    actions = CronJobActions(status=status)
    previously_active = {ref.get("uid") for ref in status.get("active") or []}

    finished = [job for job in jobs if job_state(job) is not None]
    running = [job for job in jobs if job_state(job) is None and not _deleting(job)]
    for job in finished:
        if job["metadata"].get("uid") in previously_active:
            actions.events.append(
                Event(
                    "Normal",
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, status: {job_state(job)}",
                )
            )
        completed_at = parse_time((job.get("status") or {}).get("completionTime"))
        last = parse_time(status.get("lastSuccessfulTime"))
        if job_state(job) == "Complete" and completed_at and (last is None or completed_at > last):
            status["lastSuccessfulTime"] = format_time(completed_at)

    _prune_history(spec, finished, actions)
    if not cronjob["metadata"].get("deletionTimestamp") and not spec.get("suspend"):
        running = _schedule(cronjob, jobs, running, now, actions)
    _set_active(status, running)
    return actions


def _schedule(
    cronjob: JSON, jobs: list[JSON], running: list[JSON], now: datetime, actions: CronJobActions
) -> list[JSON]:
    spec = cronjob.get("spec") or {}
    status = actions.status
    expression, zone = parse_schedule(cronjob)
    local_now = now.astimezone(zone)
    upcoming = croniter(expression, local_now).get_next(datetime)
    actions.requeue_after = max(0.0, seconds_between(now, upcoming))
    since = parse_time(status.get("lastScheduleTime")) or parse_time(
        cronjob["metadata"].get("creationTimestamp")
    )
    latest = croniter(expression, local_now).get_prev(datetime)
    if since is not None and latest <= since:
        return running
    if any(job["metadata"].get("name") == job_name_for(cronjob, latest) for job in jobs):
        # This run already exists (the cached CronJob is older than its Jobs): never replace
        # or re-create it, only record it.
        status["lastScheduleTime"] = format_time(latest)
        return running
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and seconds_between(latest, now) > float(deadline):
        actions.events.append(
            Event(
                "Warning",
                "MissSchedule",
                f"Missed scheduled time to start a job: {_rfc3339(latest)}",
            )
        )
        return running
    policy = spec.get("concurrencyPolicy") or "Allow"
    if running and policy == "Forbid":
        actions.events.append(Event("Normal", "JobAlreadyActive", FORBID_MESSAGE))
        return running
    if running and policy == "Replace":
        actions.jobs_to_delete.extend(str(job["metadata"]["name"]) for job in running)
        running = []
    actions.job_to_create = build_job(cronjob, latest)
    status["lastScheduleTime"] = format_time(latest)
    return running


def build_job(cronjob: JSON, scheduled: datetime) -> JSON:
    meta = cronjob["metadata"]
    template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
    template_meta = template.get("metadata") or {}
    annotations = dict(template_meta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = _rfc3339(scheduled)
    metadata: JSON = {
        "name": job_name_for(cronjob, scheduled),
        "namespace": meta.get("namespace"),
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta["name"],
                "uid": meta["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    if template_meta.get("labels"):
        metadata["labels"] = dict(template_meta["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": template.get("spec") or {},
    }


def _prune_history(spec: JSON, finished: list[JSON], actions: CronJobActions) -> None:
    limits = {
        "Complete": int(spec.get("successfulJobsHistoryLimit", 3)),
        "Failed": int(spec.get("failedJobsHistoryLimit", 1)),
    }
    for state, limit in limits.items():
        done = sorted(
            (job for job in finished if job_state(job) == state and not _deleting(job)),
            key=_started,
        )
        excess = done[: max(0, len(done) - limit)]
        actions.jobs_to_delete.extend(str(job["metadata"]["name"]) for job in excess)


def _set_active(status: JSON, running: list[JSON]) -> None:
    refs = [
        {
            "kind": "Job",
            "namespace": job["metadata"].get("namespace"),
            "name": job["metadata"].get("name"),
            "uid": job["metadata"].get("uid"),
            "apiVersion": "batch/v1",
            "resourceVersion": job["metadata"].get("resourceVersion"),
        }
        for job in sorted(running, key=_started)
    ]
    if refs:
        status["active"] = refs
    else:
        status.pop("active", None)


def _started(job: JSON) -> str:
    return str(
        (job.get("status") or {}).get("startTime") or job["metadata"].get("creationTimestamp") or ""
    )


def _deleting(job: JSON) -> bool:
    return bool(job["metadata"].get("deletionTimestamp"))


def _rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339 in the schedule's zone: ``Z`` for UTC, else the offset."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
