"""How the Job controller sees and builds pods: classification, indexes and the pod template."""

from __future__ import annotations

import copy
from datetime import datetime

from kubesim.clusterapi import JSON
from kubesim.controllers.timeutil import parse_time

COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index"
# Kept on every pod the Job controller creates until its status accounts for the pod, so a pod
# cannot vanish uncounted (reference v1.36 D2, D6).
TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")
CONTROLLER_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def phase(pod: JSON) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_deleting(pod: JSON) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_terminal(pod: JSON) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_active(pod: JSON) -> bool:
    return not is_terminal(pod) and not is_deleting(pod)


def is_terminating(pod: JSON) -> bool:
    return is_deleting(pod) and not is_terminal(pod)


def is_ready(pod: JSON) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def is_tracked(pod: JSON) -> bool:
    return TRACKING_FINALIZER in ((pod.get("metadata") or {}).get("finalizers") or [])


def is_gone_but_tracked(pod: JSON) -> bool:
    """Deleted with no grace period left: only the tracking finalizer keeps it."""
    meta = pod.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and not meta.get("deletionGracePeriodSeconds")


def pod_name(pod: JSON) -> str:
    return str((pod.get("metadata") or {}).get("name") or "")


def completion_index(pod: JSON) -> int | None:
    meta = pod.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(COMPLETION_INDEX_KEY)
    if raw is None:
        raw = (meta.get("labels") or {}).get(COMPLETION_INDEX_KEY)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def restart_count(pod: JSON) -> int:
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    return sum(int(item.get("restartCount") or 0) for item in statuses)


def finished_at(pod: JSON) -> datetime | None:
    """When the pod's last container terminated (or None if none did)."""
    latest: datetime | None = None
    for item in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (item.get("state") or {}).get("terminated") or {}
        moment = parse_time(terminated.get("finishedAt"))
        if moment is not None and (latest is None or moment > latest):
            latest = moment
    return latest


def format_indexes(indexes: set[int]) -> str:
    """``{0,1,2,4,6,7}`` -> ``"0-2,4,6,7"``, the format of status.completedIndexes."""
    parts: list[str] = []
    ordered = sorted(indexes)
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[start], ordered[end]
        if first == last:
            parts.append(str(first))
        else:
            # Upstream writes a run of two as "1,2" and longer runs as "1-3" (reference D2).
            parts.append(f"{first},{last}" if last == first + 1 else f"{first}-{last}")
        start = end + 1
    return ",".join(parts)


def parse_indexes(text: str | None) -> set[int]:
    indexes: set[int] = set()
    for raw_part in (text or "").split(","):
        part = raw_part.strip()
        if not part:
            continue
        if "-" in part:
            first, last = part.split("-", 1)
            indexes.update(range(int(first), int(last) + 1))
        else:
            indexes.add(int(part))
    return indexes


def build_pod(job: JSON, index: int | None) -> JSON:
    """The pod the Job controller creates from ``spec.template`` (ownerReference, job labels,
    the tracking finalizer, and for Indexed Jobs the completion index annotation, label,
    hostname and env read from the label, reference v1.36 B4)."""
    meta = job["metadata"]
    name, uid = str(meta["name"]), str(meta["uid"])
    template = copy.deepcopy((job.get("spec") or {}).get("template") or {})
    template_meta = template.get("metadata") or {}
    labels = dict(template_meta.get("labels") or {})
    for key in CONTROLLER_UID_LABELS:
        labels.setdefault(key, uid)
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, name)
    annotations = dict(template_meta.get("annotations") or {})
    spec = template.get("spec") or {}
    prefix = f"{name}-"
    if index is not None:
        annotations[COMPLETION_INDEX_KEY] = str(index)
        labels[COMPLETION_INDEX_KEY] = str(index)
        prefix = f"{name}-{index}-"
        spec.setdefault("hostname", f"{name}-{index}")
        for container in spec.get("containers") or []:
            env = [
                item
                for item in container.get("env") or []
                if item.get("name") != "JOB_COMPLETION_INDEX"
            ]
            env.append(
                {
                    "name": "JOB_COMPLETION_INDEX",
                    "valueFrom": {
                        "fieldRef": {"fieldPath": f"metadata.labels['{COMPLETION_INDEX_KEY}']"}
                    },
                }
            )
            container["env"] = env
    metadata: JSON = {
        "generateName": prefix,
        "namespace": meta.get("namespace"),
        "labels": labels,
        "ownerReferences": [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": name,
                "uid": uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "finalizers": [TRACKING_FINALIZER],
    }
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
