"""Compact projections: only the fields status, info, lists and watches read, per kind.

A stored Job carries its whole pod template (containers, env, volumes, security context);
the service reads a few dozen fields of it. A projection keeps exactly those (the store keeps
it compressed), so 100k cached jobs fit in a small share of what their JSON would take, and
the pure functions in ``service.status``/``service.jobinfo`` read a projection as they read
the full object. What each one keeps is listed here; a new read of a field must add it here
(the cache tests compare every read made from a projection with the same read of the full
object).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]
Projector = Callable[[JSON], JSON]

_METADATA_KEYS = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "labels",
    "annotations",
)
_CONDITION_KEYS = ("type", "status", "reason", "message", "lastTransitionTime")
_JOB_STATUS_KEYS = ("active", "ready", "succeeded", "failed", "startTime", "completionTime")
# A pod template's few fields handlers read back (images, command) stay inside the spec.
# Longer than any message service.status reads as "Reason: detail" (it stops at 1,088).
_MAX_TERMINATION_MESSAGE = 2048
_JOB_SPEC_KEYS = ("suspend", "ttlSecondsAfterFinished", "parallelism", "completions")


def _pick(source: JSON | None, keys: tuple[str, ...]) -> JSON:
    if not source:
        return {}
    return {key: source[key] for key in keys if key in source}


def _metadata(obj: JSON) -> JSON:
    return _pick(obj.get("metadata"), _METADATA_KEYS)


def _conditions(status: JSON) -> list[JSON]:
    return [_pick(c, _CONDITION_KEYS) for c in status.get("conditions") or []]


def _containers(pod_spec: JSON) -> list[JSON]:
    """What job types read back from a pod template: image, command, args, working dir."""
    keep = ("name", "image", "command", "args", "workingDir")
    return [_pick(c, keep) for c in pod_spec.get("containers") or []]


def _job_spec(spec: JSON) -> JSON:
    projected = _pick(spec, _JOB_SPEC_KEYS)
    pod_spec = ((spec.get("template") or {}).get("spec")) or {}
    if pod_spec:
        projected["template"] = {"spec": {"containers": _containers(pod_spec)}}
    return projected


def project_job(job: JSON) -> JSON:
    status = job.get("status") or {}
    projected_status = _pick(status, _JOB_STATUS_KEYS)
    if status.get("conditions"):
        projected_status["conditions"] = _conditions(status)
    return {
        "metadata": _metadata(job),
        "spec": _job_spec(job.get("spec") or {}),
        "status": projected_status,
    }


def project_cronjob(cronjob: JSON) -> JSON:
    spec = cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    template = spec.get("jobTemplate") or {}
    projected_spec = _pick(spec, ("schedule", "timeZone", "suspend"))
    projected_spec["jobTemplate"] = {
        "metadata": _pick(template.get("metadata"), ("labels", "annotations")),
        "spec": _job_spec(template.get("spec") or {}),
    }
    projected_status: JSON = _pick(status, ("lastScheduleTime",))
    if status.get("active"):
        projected_status["active"] = [{"name": ref.get("name", "")} for ref in status["active"]]
    return {"metadata": _metadata(cronjob), "spec": projected_spec, "status": projected_status}


def project_pod(pod: JSON) -> JSON:
    """Phase, start, and what explains a wait or a failure (a container's waiting reason or
    termination message, scheduling)."""
    status = pod.get("status") or {}
    containers = []
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        entry: JSON = {"name": container.get("name", "")}
        kept: JSON = {}
        if state.get("waiting"):
            kept["waiting"] = _pick(state["waiting"], ("reason", "message"))
        if state.get("terminated"):
            # A failed container's "Reason: detail" termination message names why it failed.
            terminated = _pick(state["terminated"], ("exitCode", "finishedAt", "message"))
            if "message" in terminated:
                terminated["message"] = str(terminated["message"])[:_MAX_TERMINATION_MESSAGE]
            kept["terminated"] = terminated
        if kept:
            entry["state"] = kept
        containers.append(entry)
    conditions = [
        _pick(c, _CONDITION_KEYS)
        for c in status.get("conditions") or []
        if c.get("type") == "PodScheduled"
    ]
    projected_status = _pick(status, ("phase", "startTime"))
    if containers:
        projected_status["containerStatuses"] = containers
    if conditions:
        projected_status["conditions"] = conditions
    metadata = _pick(
        pod.get("metadata"),
        ("name", "namespace", "resourceVersion", "creationTimestamp", "deletionTimestamp"),
    )
    labels = (pod.get("metadata") or {}).get("labels") or {}
    metadata["labels"] = labels
    return {"metadata": metadata, "status": projected_status}
