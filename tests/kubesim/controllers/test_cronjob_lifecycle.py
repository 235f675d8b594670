"""CronJobs creating Jobs on schedule, on a fast clock, through the kubernetes client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import kubernetes.client as k8s
import pytest

from .lifecycle import event_reasons, job_manifest, sleeping, wait_for


def cronjob_manifest(name: str, schedule: str, job: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {"schedule": schedule, "jobTemplate": {"spec": job["spec"]}, **spec},
    }


@pytest.fixture
def batch(kube_client: k8s.ApiClient) -> k8s.BatchV1Api:
    return k8s.BatchV1Api(kube_client)


@pytest.fixture
def core(kube_client: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(kube_client)


def owned_jobs(batch: k8s.BatchV1Api, ns: str, cronjob: str) -> list[k8s.V1Job]:
    return [
        job
        for job in batch.list_namespaced_job(ns).items
        if any(ref.name == cronjob for ref in job.metadata.owner_references or [])
    ]


@pytest.mark.embedded_only  # minutes of cron time
@pytest.mark.clock_speed(120)
def test_cronjob_creates_jobs_on_schedule(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_cron_job(
        ns, cronjob_manifest("every-minute", "* * * * *", job_manifest("x"))
    )

    jobs = wait_for(
        lambda: owned_jobs(batch, ns, "every-minute"), lambda js: len(js) >= 2, "two runs"
    )

    for job in jobs:
        scheduled = job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        moment = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
        assert moment.second == 0
        # Named <cronjob>-<scheduled time in minutes since the epoch>, like upstream.
        assert job.metadata.name == f"every-minute-{int(moment.timestamp()) // 60}"
        assert job.metadata.owner_references[0].kind == "CronJob"
    cronjob = wait_for(
        lambda: batch.read_namespaced_cron_job("every-minute", ns),
        lambda cj: cj.status.last_successful_time is not None,
        "a successful run",
    )
    assert cronjob.status.last_schedule_time is not None
    reasons = event_reasons(core, ns, "every-minute")
    assert "SuccessfulCreate" in reasons
    assert "SawCompletedJob" in reasons


def event_counts(core: k8s.CoreV1Api, ns: str, name: str) -> dict[str, int]:
    events = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items
    counts: dict[str, int] = {}
    for event in events:
        counts[event.reason] = counts.get(event.reason, 0) + (event.count or 1)
    return counts


@pytest.mark.embedded_only  # minutes of cron time
@pytest.mark.clock_speed(120)
def test_forbid_does_not_start_a_second_job_while_one_runs(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_cron_job(
        ns,
        cronjob_manifest(
            "one-at-a-time",
            "* * * * *",
            job_manifest("x", **sleeping(3600)),
            concurrencyPolicy="Forbid",
        ),
    )

    # Repeats of one event are aggregated into its count, as client-go's recorder does.
    wait_for(
        lambda: event_counts(core, ns, "one-at-a-time"),
        lambda counts: counts.get("JobAlreadyActive", 0) >= 2,
        "two skipped runs",
    )
    assert len(owned_jobs(batch, ns, "one-at-a-time")) == 1
    cronjob = batch.read_namespaced_cron_job("one-at-a-time", ns)
    assert len(cronjob.status.active) == 1
