"""Helpers for the lifecycle tests: manifests that behave the same on the simulated kubelet and
on a real node (the annotations steer the simulation, the command does the same for real), and
polling until the cluster reaches a state."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

import kubernetes.client as k8s

T = TypeVar("T")

# Real seconds a test waits for the cluster before giving up (generous: CI machines are slow;
# a real cluster pulls images and applies real back-off delays).
WAIT_SECONDS = 240.0 if os.environ.get("JOBSCHEDULER_TEST_KUBECONFIG") else 30.0


def job_manifest(
    name: str,
    *,
    command: list[str] | None = None,
    annotations: dict[str, str] | None = None,
    restart_policy: str = "Never",
    **spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            "template": {
                "metadata": {"annotations": annotations or {}},
                "spec": {
                    "restartPolicy": restart_policy,
                    "containers": [
                        {
                            "name": "main",
                            "image": "busybox:1.36",
                            "command": command or ["sh", "-c", "echo done"],
                        }
                    ],
                },
            },
        },
    }


def failing(exit_code: int) -> dict[str, Any]:
    return {
        "command": ["sh", "-c", f"exit {exit_code}"],
        "annotations": {"sim.jobscheduler.io/exit-code": str(exit_code)},
    }


def sleeping(seconds: int) -> dict[str, Any]:
    return {
        "command": ["sleep", str(seconds)],
        "annotations": {"sim.jobscheduler.io/run-seconds": str(seconds)},
    }


def wait_for(fetch: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """Poll ``fetch`` until ``done`` holds; fail with the last value seen."""
    deadline = time.monotonic() + WAIT_SECONDS
    value = fetch()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last seen: {value!r}")
        time.sleep(0.05)
        value = fetch()
    return value


def condition(job: k8s.V1Job, condition_type: str) -> k8s.V1JobCondition | None:
    for item in job.status.conditions or []:
        if item.type == condition_type and item.status == "True":
            return item
    return None


def finished(job: k8s.V1Job) -> bool:
    return condition(job, "Complete") is not None or condition(job, "Failed") is not None


def job_pods(core: k8s.CoreV1Api, namespace: str, job_name: str) -> list[k8s.V1Pod]:
    items: list[k8s.V1Pod] = core.list_namespaced_pod(
        namespace, label_selector=f"batch.kubernetes.io/job-name={job_name}"
    ).items
    return items


def event_reasons(core: k8s.CoreV1Api, namespace: str, name: str) -> list[str]:
    events = core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}"
    ).items
    return [event.reason for event in sorted(events, key=lambda e: e.metadata.name)]
