"""Kept logs as a ConfigMap: its name, what it holds, and how the kept text is cut.

When a job finishes, or before a cancel or suspend stops its pods, the service keeps the tail
of each pod's output (``service.logkeeper``) in one ConfigMap per Job:

* named ``<job name>.logs``: derived from the job, so every replica writes the same object and
  the first create wins; no template can take the name (template names hold no dots);
* owned by the Job (an ownerReference with its uid), so Kubernetes' garbage collector deletes
  it with the Job (its TTL, DeleteJob, the sweep), and labelled with the managed-by label and
  ``jobscheduler.io/kept-logs=<job name>``, so ``kubectl get configmaps -l
  jobscheduler.io/kept-logs`` finds them;
* ``data``: one key per pod (pod names are valid keys), the tail of its output as text;
  the ``jobscheduler.io/kept-pods`` annotation lists the pods in creation order with their
  phase, when and why they were kept, and how many bytes were cut from the head.

Every pod's text is at most ``KEPT_LOGS_BYTES_PER_POD`` bytes and at most
``KEPT_LOGS_MAX_PODS`` pods (the newest) are kept, a product the settings keep under the
ConfigMap's 1 MiB limit, so a keep is never refused for its size. Pure functions only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobscheduler.jobtypes.metadata import (
    KEPT_LOGS_LABEL,
    KEPT_PODS_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)

JSON = dict[str, Any]
FINISHED, CANCELLED, SUSPENDED = "finished", "cancelled", "suspended"


@dataclass(frozen=True)
class KeptPod:
    name: str
    created: str  # the pod's creationTimestamp: the order pods are read in
    phase: str  # when it was kept
    kept_at: str  # RFC 3339, the service's clock
    reason: str  # FINISHED, CANCELLED or SUSPENDED
    dropped_bytes: int  # cut from the head to fit the budget
    text: str


def configmap_name(job_name: str) -> str:
    return f"{job_name}.logs"


def tail_text(raw: bytes, budget: int) -> tuple[str, int]:
    """The end of ``raw`` as text of at most ``budget`` UTF-8 bytes, starting at a line
    start when the cut leaves one, and how many bytes were dropped before it. Bytes that are
    not UTF-8 become U+FFFD first, so the budget counts what is stored."""
    encoded = raw.decode("utf-8", "replace").encode()
    if len(encoded) <= budget:
        return encoded.decode(), 0
    at = len(encoded) - budget
    cut = encoded[at:] if budget > 0 else b""
    start = 0
    while start < len(cut) and cut[start] & 0xC0 == 0x80:
        start += 1  # a continuation byte: the character began before the cut
    newline = cut.find(b"\n", start)
    mid_line = encoded[at - 1 : at] != b"\n"
    if mid_line and 0 <= newline < len(cut) - 1:
        start = newline + 1  # whole lines, unless one line is longer than the budget
    kept = cut[start:]
    return kept.decode(), len(encoded) - len(kept)


def newest(pods: Iterable[KeptPod], limit: int) -> list[KeptPod]:
    """At most ``limit`` pods, the newest ones, in creation order."""
    ordered = sorted(pods, key=lambda pod: (pod.created, pod.name))
    return ordered[-limit:] if limit > 0 else []


def build_configmap(job: JSON, pods: list[KeptPod]) -> JSON:
    metadata = job.get("metadata") or {}
    name = str(metadata.get("name", ""))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(name),
            "namespace": metadata.get("namespace"),
            "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE, KEPT_LOGS_LABEL: name},
            "annotations": {KEPT_PODS_ANNOTATION: _index(pods)},
            # No blockOwnerDeletion: setting it needs update on the Job's finalizers, and
            # nothing depends on the logs going before the Job.
            "ownerReferences": [
                {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": metadata["uid"]}
            ],
        },
        "data": {pod.name: pod.text for pod in pods},
    }


def update_patch(configmap: JSON, pods: list[KeptPod]) -> JSON:
    """A merge patch from ``configmap`` to one holding ``pods``, on its resourceVersion."""
    metadata = configmap.get("metadata") or {}
    data: dict[str, str | None] = {pod.name: pod.text for pod in pods}
    for gone in set(configmap.get("data") or {}) - set(data):
        data[gone] = None
    return {
        "metadata": {
            "resourceVersion": metadata.get("resourceVersion"),
            "annotations": {KEPT_PODS_ANNOTATION: _index(pods)},
        },
        "data": data,
    }


def kept_pods(configmap: JSON, job_uid: str) -> list[KeptPod] | None:
    """The pods a kept-logs ConfigMap holds, in creation order; None when it is not the one
    this service kept for the Job with ``job_uid`` (another ConfigMap of that name, or one
    left by an earlier Job of the same name that the garbage collector has not removed yet)."""
    metadata = configmap.get("metadata") or {}
    labels = metadata.get("labels") or {}
    owners = metadata.get("ownerReferences") or []
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY_VALUE or KEPT_LOGS_LABEL not in labels:
        return None
    if not any(owner.get("uid") == job_uid and owner.get("kind") == "Job" for owner in owners):
        return None
    try:
        index = json.loads((metadata.get("annotations") or {}).get(KEPT_PODS_ANNOTATION, "[]"))
    except ValueError:
        return None
    data = configmap.get("data") or {}
    pods = []
    for entry in index if isinstance(index, list) else []:
        if not isinstance(entry, dict) or entry.get("pod") not in data:
            continue
        pods.append(
            KeptPod(
                name=str(entry["pod"]),
                created=str(entry.get("created", "")),
                phase=str(entry.get("phase", "")),
                kept_at=str(entry.get("keptAt", "")),
                reason=str(entry.get("reason", "")),
                dropped_bytes=int(entry.get("droppedBytes") or 0),
                text=str(data[entry["pod"]]),
            )
        )
    return pods


def _index(pods: list[KeptPod]) -> str:
    entries = [
        {
            "pod": pod.name,
            "created": pod.created,
            "phase": pod.phase,
            "keptAt": pod.kept_at,
            "reason": pod.reason,
            "droppedBytes": pod.dropped_bytes,
        }
        for pod in pods
    ]
    return json.dumps(entries, separators=(",", ":"))
