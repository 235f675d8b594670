"""Minimal valid Job and Pod dicts with fluent overrides, for the pure controller tests."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesim.controllers.timeutil import format_time

T0 = datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC)
_pod_numbers = itertools.count()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_job(name: str = "demo", **spec: Any) -> dict[str, Any]:
    uid = f"uid-{name}"
    labels = {"controller-uid": uid, "job-name": name}
    job_spec: dict[str, Any] = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "selector": {"matchLabels": {"controller-uid": uid}},
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "containers": [{"name": "main", "image": "busybox:1.36"}],
                "restartPolicy": "Never",
            },
        },
    }
    job_spec.update(spec)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default", "uid": uid, "labels": labels},
        "spec": job_spec,
        "status": {},
    }


def with_status(job: dict[str, Any], **status: Any) -> dict[str, Any]:
    updated = copy.deepcopy(job)
    updated["status"] = {**updated.get("status", {}), **status}
    return updated


def make_pod(
    job: dict[str, Any],
    phase: str = "Running",
    *,
    ready: bool = False,
    exit_code: int | None = None,
    finished: datetime | None = None,
    index: int | None = None,
    deleting: bool = False,
    restarts: int = 0,
) -> dict[str, Any]:
    name = f"{job['metadata']['name']}-{next(_pod_numbers)}"
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "ownerReferences": [
            {
                "kind": "Job",
                "name": job["metadata"]["name"],
                "uid": job["metadata"]["uid"],
                "controller": True,
            }
        ],
    }
    if index is not None:
        metadata["annotations"] = {"batch.kubernetes.io/job-completion-index": str(index)}
    if deleting:
        metadata["deletionTimestamp"] = format_time(T0)
    container: dict[str, Any] = {"name": "main", "restartCount": restarts, "state": {}}
    if phase in ("Succeeded", "Failed"):
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        container["state"] = {
            "terminated": {"exitCode": code, "finishedAt": format_time(finished or T0)}
        }
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [container],
    }
    return {"metadata": metadata, "spec": {}, "status": status}


def condition(status: dict[str, Any], condition_type: str) -> dict[str, Any] | None:
    for item in status.get("conditions") or []:
        if item["type"] == condition_type:
            return dict(item)
    return None
