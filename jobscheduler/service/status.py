"""From a Job (and, when cheap, its pods) to the JobStatus a user sees. Pure functions.

Order matters: a final condition wins over everything, a cancellation over suspension, and a
delayed start is a suspension the service will lift on time. Pod-level trouble (image pulls,
scheduling) is only visible when the caller passes the pods; ListJobs does not, to stay O(1)
API calls per page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import dependson
from jobscheduler.jobtypes.metadata import (
    CANCELLED_AT_ANNOTATION,
    FIRST_STARTED_AT_ANNOTATION,
    START_AT_ANNOTATION,
    START_AT_LABEL,
)
from jobscheduler.service import startup

JSON = dict[str, Any]

FINAL_STATES = frozenset({pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED})
# Container waiting reasons worth surfacing: the job will not make progress by itself.
_STUCK_WAITING_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "CrashLoopBackOff",
)
# A termination message "Reason: detail" (what the probe and webhook runners write, e.g.
# "ProbeFailed: HTTP 503") names why a failed job failed better than BackoffLimitExceeded.
_REASONED_MESSAGE = re.compile(r"([A-Z][A-Za-z0-9]{2,63}): (\S.{0,1023})", re.DOTALL)


@dataclass(frozen=True)
class State:
    status: int  # pb.JobStatus value
    reason: str = ""
    message: str = ""


def true_conditions(job: JSON) -> dict[str, JSON]:
    conditions = (job.get("status") or {}).get("conditions") or []
    return {c["type"]: c for c in conditions if c.get("status") == "True" and "type" in c}


def job_state(job: JSON, pods: list[JSON] | None = None) -> State:
    metadata = job.get("metadata") or {}
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    annotations = metadata.get("annotations") or {}
    conditions = true_conditions(job)

    if stuck := startup.reported_failure(job):  # ended by its startup deadline (service.startup)
        return State(pb.JOB_STATUS_FAILED, stuck.reason, stuck.message)
    for kind in ("Complete", "SuccessCriteriaMet"):
        if kind in conditions:
            return State(
                pb.JOB_STATUS_SUCCEEDED,
                "Completed",
                conditions[kind].get("message") or "all pods succeeded",
            )
    for kind in ("Failed", "FailureTarget"):
        if kind in conditions:
            condition = conditions[kind]
            if pods and (reasoned := termination_reason(pods)):
                return State(pb.JOB_STATUS_FAILED, *reasoned)
            return State(
                pb.JOB_STATUS_FAILED,
                condition.get("reason") or "Failed",
                condition.get("message") or "the job failed",
            )
    if CANCELLED_AT_ANNOTATION in annotations:
        # The service cancels a dependent whose dependency failed, and says so.
        return State(
            pb.JOB_STATUS_CANCELLED,
            annotations.get(dependson.CANCELLED_REASON_ANNOTATION, "Cancelled"),
            annotations.get(dependson.CANCELLED_MESSAGE_ANNOTATION)
            or f"cancelled at {annotations[CANCELLED_AT_ANNOTATION]}",
        )
    if spec.get("suspend"):
        labels = metadata.get("labels") or {}
        if START_AT_LABEL in labels:
            start_at = annotations.get(START_AT_ANNOTATION, "its start time")
            return State(pb.JOB_STATUS_SCHEDULED, "WaitingForStartTime", f"starts at {start_at}")
        if dependson.WAITING_LABEL in labels:
            waiting = ", ".join(d.describe() for d in dependson.unmet(annotations))
            return State(pb.JOB_STATUS_SCHEDULED, dependson.WAITING_REASON, f"waits for {waiting}")
        return State(pb.JOB_STATUS_SUSPENDED, "Suspended", "suspended; resume it to run")
    if pods:
        if trouble := pod_trouble(pods):
            return State(pb.JOB_STATUS_PENDING, *trouble)
        if any((p.get("status") or {}).get("phase") == "Running" for p in pods):
            return State(pb.JOB_STATUS_RUNNING)
    if status.get("ready") or (status.get("active") and "ready" not in status):
        return State(pb.JOB_STATUS_RUNNING)
    if pods is not None and any((p.get("status") or {}).get("phase") == "Pending" for p in pods):
        return State(pb.JOB_STATUS_PENDING, "PodPending", "waiting for a pod to start")
    if status.get("active"):
        return State(pb.JOB_STATUS_PENDING, "PodPending", "waiting for a pod to start")
    return State(pb.JOB_STATUS_PENDING)


def pod_trouble(pods: list[JSON]) -> tuple[str, str] | None:
    """(reason, message) of the first pod that cannot start on its own, if any."""
    for pod in pods:
        pod_status = pod.get("status") or {}
        if pod_status.get("phase") not in (None, "Pending", "Running"):
            continue
        for container in pod_status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in _STUCK_WAITING_REASONS:
                return waiting["reason"], waiting.get("message") or waiting["reason"]
        for condition in pod_status.get("conditions") or []:
            if (
                condition.get("type") == "PodScheduled"
                and condition.get("status") == "False"
                and condition.get("reason") == "Unschedulable"
            ):
                return "Unschedulable", condition.get("message") or "no node can run the pod"
    return None


def first_start_annotations(job: JSON) -> JSON:
    """Annotations to add when the service suspends (or cancels) ``job``: its start time, which
    a current job controller removes from a suspended Job and replaces on resume. The first
    one recorded stays."""
    annotations = (job.get("metadata") or {}).get("annotations") or {}
    started = (job.get("status") or {}).get("startTime")
    if not started or FIRST_STARTED_AT_ANNOTATION in annotations:
        return {}
    return {FIRST_STARTED_AT_ANNOTATION: started}


def termination_reason(pods: list[JSON]) -> tuple[str, str] | None:
    """(reason, message) from the termination message of the last failed container, when
    it reads "Reason: detail"; Kubernetes keeps what the container wrote there."""
    latest: tuple[str, str, str] | None = None
    for pod in pods:
        if (pod.get("status") or {}).get("phase") != "Failed":
            continue
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            message = str(terminated.get("message") or "").strip()
            match = _REASONED_MESSAGE.fullmatch(message)
            if match and terminated.get("exitCode"):
                finished = str(terminated.get("finishedAt") or "")
                if latest is None or finished >= latest[0]:
                    latest = (finished, match[1], message)
    return (latest[1], latest[2]) if latest else None


def cronjob_state(cronjob: JSON) -> State:
    annotations = (cronjob.get("metadata") or {}).get("annotations") or {}
    if CANCELLED_AT_ANNOTATION in annotations:
        return State(
            pb.JOB_STATUS_CANCELLED,
            "Cancelled",
            f"cancelled at {annotations[CANCELLED_AT_ANNOTATION]}",
        )
    if (cronjob.get("spec") or {}).get("suspend"):
        return State(pb.JOB_STATUS_SUSPENDED, "Suspended", "schedule suspended; resume it to run")
    schedule = (cronjob.get("spec") or {}).get("schedule", "")
    return State(pb.JOB_STATUS_SCHEDULED, "Scheduled", f"runs on schedule {schedule!r}")


def is_final(status: int) -> bool:
    return status in FINAL_STATES
