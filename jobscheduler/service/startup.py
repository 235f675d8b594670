"""Startup deadlines: a job whose pods cannot start (image pull failing, unschedulable) for too
long ends FAILED with that reason instead of waiting forever.

Kubernetes is the only store. ScheduleJob records the deadline as a label on the Job (on a
schedule's job template, so every run carries it): the ``execution.startup_deadline_seconds`` row
of ``jobtypes.fieldtable`` validates, builds and maps it back like every other field. The
background sweep lists labelled Jobs, asks ``startup_failure`` about each one that is past its
deadline and still not running, and ends the ones it names with one patch carrying the
resourceVersion it decided on (several replicas race; one patch wins, the others get 409 and
move on). The patch

* annotates the reason and message, which ``service.status`` reports as FAILED (so the job
  reads FAILED from that moment, on every replica), and
* sets ``activeDeadlineSeconds`` to 1, so the job controller itself fails the Job
  (``DeadlineExceeded``), deletes its pods, and the TTL controller removes it like any other
  finished Job. Suspending would also delete the pods, but a suspended Job is never finished,
  so nothing would ever clean it up.

The deadline counts from the Job's ``status.startTime`` (when it last started or was resumed),
else its creation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobscheduler import errors
from jobscheduler.jobtypes.metadata import (
    CANCELLED_AT_ANNOTATION,
    POD_JOB_NAME_LABEL,
    STARTUP_DEADLINE_LABEL,
)
from jobscheduler.kube import JOBS, PODS, JobReader, KubeGateway

# A module import, not names: service.status imports this module too.
from jobscheduler.service import status as job_status

log = logging.getLogger(__name__)
JSON = dict[str, Any]

STARTUP_FAILED_REASON_ANNOTATION = "jobscheduler.io/startup-failed-reason"
STARTUP_FAILED_MESSAGE_ANNOTATION = "jobscheduler.io/startup-failed-message"
# Pod states that mean "cannot start", by the reason reported. The kubelet alternates
# ErrImagePull and ImagePullBackOff for one problem; users see one stable reason.
_PULL_FAILURES = {
    "ErrImagePull": "ImagePullBackOff",
    "ImagePullBackOff": "ImagePullBackOff",
    "InvalidImageName": "InvalidImageName",
}
_MAX_MESSAGE = 512


@dataclass(frozen=True)
class StartupFailure:
    reason: str
    message: str


# ---- the decision: pure -----------------------------------------------------------------------


def due(job: JSON, now: datetime) -> bool:
    """Past its deadline and neither finished, cancelled, suspended, failed by us nor running:
    worth reading its pods. Needs no API call."""
    metadata = job.get("metadata") or {}
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    annotations = metadata.get("annotations") or {}
    if CANCELLED_AT_ANNOTATION in annotations or STARTUP_FAILED_REASON_ANNOTATION in annotations:
        return False
    if spec.get("suspend") or status.get("completionTime"):
        return False
    if any(c.get("status") == "True" for c in status.get("conditions") or []):
        return False  # Complete, Failed, or on the way (SuccessCriteriaMet, FailureTarget)
    if status.get("ready") or status.get("succeeded"):
        return False
    seconds = _deadline(job)
    started = _parse_time(status.get("startTime")) or _parse_time(metadata.get("creationTimestamp"))
    if seconds is None or started is None:
        return False
    return (now - started).total_seconds() >= seconds


def startup_failure(job: JSON, pods: list[JSON], now: datetime) -> StartupFailure | None:
    """Why the job should end now, or None. A job some pod of which runs is not stuck."""
    if not due(job, now):
        return None
    stuck: tuple[str, str] | None = None
    for pod in pods:
        if (pod.get("status") or {}).get("phase") not in (None, "Pending"):
            return None  # a pod got going (or finished): retries are the backoff limit's job
        stuck = stuck or _cannot_start(pod)
    if stuck is None:
        return None
    reason, detail = stuck
    seconds = _deadline(job)
    message = f"pods could not start within the startup deadline of {seconds} s: {detail}"
    return StartupFailure(reason, message[:_MAX_MESSAGE])


def _cannot_start(pod: JSON) -> tuple[str, str] | None:
    trouble = job_status.pod_trouble([pod])
    if trouble is None:
        return None
    reason, message = trouble
    if reason == "Unschedulable":
        return trouble
    if reason in _PULL_FAILURES:
        return _PULL_FAILURES[reason], message
    return None  # e.g. CrashLoopBackOff: the container did start; retries are for backoffLimit


def _parse_time(value: str | None) -> datetime | None:
    # Not service.jobinfo's parser: service.status imports this module, and jobinfo imports status.
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _deadline(job: JSON) -> int | None:
    raw = ((job.get("metadata") or {}).get("labels") or {}).get(STARTUP_DEADLINE_LABEL)
    try:
        seconds = int(raw) if raw is not None else None
    except ValueError:
        return None  # a mangled label: no deadline rather than failing a job by mistake
    return seconds if seconds is not None and seconds > 0 else None


def failure_patch(job: JSON, failure: StartupFailure) -> JSON:
    return {
        "metadata": {
            "resourceVersion": job["metadata"]["resourceVersion"],
            "annotations": {
                STARTUP_FAILED_REASON_ANNOTATION: failure.reason,
                STARTUP_FAILED_MESSAGE_ANNOTATION: failure.message,
            },
        },
        "spec": {"activeDeadlineSeconds": 1},
    }


def reported_failure(job: JSON) -> StartupFailure | None:
    """What ``service.status`` reports for a job this module ended."""
    annotations = (job.get("metadata") or {}).get("annotations") or {}
    reason = annotations.get(STARTUP_FAILED_REASON_ANNOTATION)
    if not reason:
        return None
    return StartupFailure(reason, annotations.get(STARTUP_FAILED_MESSAGE_ANNOTATION) or reason)


# ---- the sweep step ---------------------------------------------------------------------------


def fail_stuck_jobs(
    gateway: KubeGateway,
    reader: JobReader,
    list_jobs: Callable[[str], list[JSON]],
    now: datetime,
) -> int:
    """One pass: end every job stuck past its startup deadline; returns how many ended.

    ``list_jobs(selector)`` lists the service's Jobs matching a label selector (the sweep's
    own lister, which knows which namespaces this replica may see); pods are read through
    ``reader``, the patch goes to ``gateway``."""
    ended = 0
    for job in list_jobs(STARTUP_DEADLINE_LABEL):
        if not due(job, now):
            continue
        metadata = job["metadata"]
        namespace, name = metadata["namespace"], metadata["name"]
        try:
            selector = f"{POD_JOB_NAME_LABEL}={name}"
            pods = reader.list(PODS, namespace, label_selector=selector)
            failure = startup_failure(job, pods.get("items") or [], now)
            if failure is None:
                continue
            gateway.patch(JOBS, namespace, name, failure_patch(job, failure))
            ended += 1
            log.info("job %s/%s failed to start: %s", namespace, name, failure.reason)
        except (errors.Conflict, errors.NotFound):
            continue  # changed meanwhile (another replica ended it, it started): next pass
        except (
            errors.PermissionDenied,
            errors.FailedPrecondition,
            errors.ResourceExhausted,
        ) as exc:
            log.warning("could not end stuck job %s/%s: %s", namespace, name, exc.message)
    return ended
