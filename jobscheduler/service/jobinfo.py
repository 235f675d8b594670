"""Read-back: a stored job or schedule (JSON) as the JobInfo message users see. Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry, dependson
from jobscheduler.jobtypes.metadata import (
    CANCELLED_AT_ANNOTATION,
    CREATED_BY_ANNOTATION,
    EXECUTION_ANNOTATION,
    FIRST_STARTED_AT_ANNOTATION,
    JOB_TYPE_LABEL,
    NAME_ANNOTATION,
    RERUN_OF_LABEL,
    SCHEDULE_ANNOTATION,
    SCHEDULE_ID_LABEL,
    START_AT_ANNOTATION,
    TEMPLATE_ANNOTATION,
    TEMPLATE_VERSION_ANNOTATION,
    user_items,
)
from jobscheduler.kube import CRONJOBS, JOBS
from jobscheduler.service.status import (
    State,
    cronjob_state,
    is_final,
    job_state,
    true_conditions,
)

JSON = dict[str, Any]


def parse_time(value: str | None) -> datetime | None:
    """Kubernetes RFC 3339 times ("2026-01-02T03:04:05Z", optionally with fractions)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _set_time(
    info: pb.JobInfo, seconds_field: str, timestamp_field: str, moment: datetime | None
) -> None:
    if moment is None:
        return
    setattr(info, seconds_field, int(moment.timestamp()))
    getattr(info, timestamp_field).FromDatetime(moment)


def _parse_message(raw: str | None, message: Message) -> bool:
    if not raw:
        return False
    try:
        json_format.Parse(raw, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError):
        message.Clear()
        return False
    return True


def _common(obj: JSON, registry: HandlerRegistry, state: State, kind: str) -> pb.JobInfo:
    metadata = obj.get("metadata") or {}
    labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    info = pb.JobInfo(
        job_id=metadata.get("name", ""),
        name=annotations.get(NAME_ANNOTATION, ""),
        k8s_job_name=metadata.get("name", ""),
        namespace=metadata.get("namespace", ""),
        status=state.status,  # type: ignore[arg-type]
        reason=state.reason,
        message=state.message,
        created_by=annotations.get(CREATED_BY_ANNOTATION, ""),
        labels=user_items(labels),
        annotations=user_items(annotations),
        job_type=labels.get(JOB_TYPE_LABEL, ""),
        k8s_kind=kind,
        rerun_of=labels.get(RERUN_OF_LABEL, ""),
        template_name=annotations.get(TEMPLATE_ANNOTATION, ""),
        template_version=annotations.get(TEMPLATE_VERSION_ANNOTATION, ""),
    )
    _set_time(info, "created_at", "create_time", parse_time(metadata.get("creationTimestamp")))
    handler = registry.by_name(info.job_type)
    if handler is not None:
        getattr(info, handler.details_field).CopyFrom(handler.read_details(obj))
    _parse_message(annotations.get(EXECUTION_ANNOTATION), info.execution)
    return info


def job_info_from_job(
    job: JSON, registry: HandlerRegistry, pods: list[JSON] | None = None
) -> pb.JobInfo:
    state = job_state(job, pods)
    info = _common(job, registry, state, JOBS.kind)
    metadata = job.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    status = job.get("status") or {}
    info.schedule_id = (metadata.get("labels") or {}).get(SCHEDULE_ID_LABEL, "")
    info.active = int(status.get("active") or 0)
    if pods and not info.active and not is_final(state.status):
        # The job controller counts a pod some time after it starts; the status was just
        # decided from the pods, so count them too rather than say RUNNING with 0 active.
        info.active = sum(1 for pod in pods if _live(pod))
    info.succeeded = int(status.get("succeeded") or 0)
    info.failed = int(status.get("failed") or 0)
    info.attempts = info.active + info.succeeded + info.failed
    # The first start the service recorded wins over Kubernetes' startTime, which a
    # suspension removes and a resume replaces (see first_start_annotations).
    started = parse_time(annotations.get(FIRST_STARTED_AT_ANNOTATION)) or parse_time(
        status.get("startTime")
    )
    if started is None and pods and not is_final(state.status):
        # The same lag: the job controller may not have written startTime yet, but the pods
        # already say when the job started running.
        started = _earliest_pod_start(pods)
    _set_time(info, "started_at", "start_time", started)
    _set_time(info, "completed_at", "completion_time", _finished_at(job))
    if start_at := parse_time(annotations.get(START_AT_ANNOTATION)):
        info.start_at.FromDatetime(start_at)
    info.depends_on.extend(dependson.as_messages(dependson.stored(annotations)))
    if state.reason == dependson.WAITING_REASON:
        info.waiting_for.extend(d.job_id for d in dependson.unmet(annotations))
    return info


def _live(pod: JSON) -> bool:
    phase = (pod.get("status") or {}).get("phase") or "Pending"
    return phase in ("Pending", "Running") and not (pod.get("metadata") or {}).get(
        "deletionTimestamp"
    )


def _earliest_pod_start(pods: list[JSON]) -> datetime | None:
    starts = [
        started
        for pod in pods
        if (started := parse_time((pod.get("status") or {}).get("startTime"))) is not None
    ]
    return min(starts, default=None)


def _finished_at(job: JSON) -> datetime | None:
    """completionTime for a success; the Failed condition's time for a failure; the
    cancellation time for a cancelled job."""
    status = job.get("status") or {}
    if completion := parse_time(status.get("completionTime")):
        return completion
    conditions = true_conditions(job)
    for kind in ("Failed", "FailureTarget", "Complete", "SuccessCriteriaMet"):
        if kind in conditions:
            return parse_time(conditions[kind].get("lastTransitionTime"))
    annotations = (job.get("metadata") or {}).get("annotations") or {}
    return parse_time(annotations.get(CANCELLED_AT_ANNOTATION))


def job_info_from_cronjob(cronjob: JSON, registry: HandlerRegistry) -> pb.JobInfo:
    info = _common(cronjob, registry, cronjob_state(cronjob), CRONJOBS.kind)
    metadata = cronjob.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    spec = cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    info.schedule_id = info.job_id
    if not _parse_message(annotations.get(SCHEDULE_ANNOTATION), info.schedule):
        info.schedule.cron = spec.get("schedule", "")
        info.schedule.time_zone = spec.get("timeZone") or ""
    if last := parse_time(status.get("lastScheduleTime")):
        info.last_schedule_time.FromDatetime(last)
    info.active_runs.extend(ref.get("name", "") for ref in status.get("active") or [])
    return info
