"""Jobs driven to the end by the Job controller and the simulated kubelet, observed through the
real kubernetes client over HTTP."""

from __future__ import annotations

import threading
from typing import Any

import kubernetes.client as k8s
import pytest

from .lifecycle import (
    WAIT_SECONDS,
    condition,
    event_reasons,
    failing,
    finished,
    job_manifest,
    job_pods,
    sleeping,
    wait_for,
)


@pytest.fixture
def batch(kube_client: k8s.ApiClient) -> k8s.BatchV1Api:
    return k8s.BatchV1Api(kube_client)


@pytest.fixture
def core(kube_client: k8s.ApiClient) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(kube_client)


def run_to_end(batch: k8s.BatchV1Api, ns: str, manifest: dict[str, Any]) -> k8s.V1Job:
    name = manifest["metadata"]["name"]
    batch.create_namespaced_job(ns, manifest)
    return wait_for(lambda: batch.read_namespaced_job(name, ns), finished, f"job {name} to finish")


@pytest.mark.clock_speed(20)
def test_parallel_job_completes_with_every_completion(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    job = run_to_end(batch, ns, job_manifest("par", parallelism=3, completions=5))

    complete = condition(job, "Complete")
    assert complete is not None
    assert complete.reason == "CompletionsReached"
    assert condition(job, "SuccessCriteriaMet") is not None
    assert job.status.succeeded == 5
    assert not job.status.active
    assert job.status.completion_time is not None
    pods = job_pods(core, ns, "par")
    assert sorted(pod.status.phase for pod in pods) == ["Succeeded"] * 5
    owner = pods[0].metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.controller) == ("Job", "par", True)
    reasons = event_reasons(core, ns, "par")
    assert reasons.count("SuccessfulCreate") == 5
    assert reasons[-1] == "Completed"


@pytest.mark.clock_speed(50)
def test_failing_job_stops_after_backoff_limit_plus_one_pods(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    job = run_to_end(batch, ns, job_manifest("fails", backoffLimit=2, **failing(1)))

    failed = condition(job, "Failed")
    assert failed is not None
    assert failed.reason == "BackoffLimitExceeded"
    assert failed.message == "Job has reached the specified backoff limit"
    assert job.status.failed == 3
    pods = job_pods(core, ns, "fails")
    assert [pod.status.phase for pod in pods] == ["Failed"] * 3
    terminated = pods[0].status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (1, "Error")
    assert "BackoffLimitExceeded" in event_reasons(core, ns, "fails")


@pytest.mark.clock_speed(20)
def test_suspended_job_has_no_pods_until_resumed(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_job(ns, job_manifest("paused", suspend=True))
    job = wait_for(
        lambda: batch.read_namespaced_job("paused", ns),
        lambda j: condition(j, "Suspended") is not None,
        "the Suspended condition",
    )
    assert condition(job, "Suspended").reason == "JobSuspended"  # type: ignore[union-attr]
    assert job.status.start_time is None
    assert job_pods(core, ns, "paused") == []

    batch.patch_namespaced_job("paused", ns, {"spec": {"suspend": False}})
    job = wait_for(
        lambda: batch.read_namespaced_job("paused", ns), finished, "the resumed job to finish"
    )

    assert condition(job, "Complete") is not None
    assert len(job_pods(core, ns, "paused")) == 1
    # Upstream order (reference 64): the pod is created in the same sync that records Resumed.
    assert event_reasons(core, ns, "paused") == [
        "Suspended",
        "SuccessfulCreate",
        "Resumed",
        "Completed",
    ]


@pytest.mark.clock_speed(20)
def test_active_deadline_fails_the_job_and_removes_its_pod(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    job = run_to_end(batch, ns, job_manifest("late", activeDeadlineSeconds=3, **sleeping(600)))

    failed = condition(job, "Failed")
    assert failed is not None
    assert failed.reason == "DeadlineExceeded"
    assert failed.message == "Job was active longer than specified deadline"
    assert job.status.failed == 1
    wait_for(lambda: job_pods(core, ns, "late"), lambda pods: pods == [], "the pod to be removed")
    reasons = event_reasons(core, ns, "late")
    assert "SuccessfulDelete" in reasons
    assert "DeadlineExceeded" in reasons


@pytest.mark.clock_speed(20)
def test_ttl_deletes_the_finished_job_and_its_pods(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    run_to_end(batch, ns, job_manifest("brief", ttlSecondsAfterFinished=5))

    wait_for(
        lambda: [j.metadata.name for j in batch.list_namespaced_job(ns).items],
        lambda names: "brief" not in names,
        "the TTL controller to delete the job",
    )
    wait_for(lambda: job_pods(core, ns, "brief"), lambda pods: pods == [], "GC of the job's pods")


@pytest.mark.clock_speed(20)
def test_indexed_job_completes_every_index(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    job = run_to_end(
        batch, ns, job_manifest("idx", completionMode="Indexed", completions=3, parallelism=2)
    )

    assert condition(job, "Complete") is not None
    assert job.status.completed_indexes == "0-2"
    pods = job_pods(core, ns, "idx")
    indexes = sorted(
        pod.metadata.annotations["batch.kubernetes.io/job-completion-index"] for pod in pods
    )
    assert indexes == ["0", "1", "2"]
    assert sorted(pod.spec.hostname for pod in pods) == ["idx-0", "idx-1", "idx-2"]


@pytest.mark.clock_speed(20)
def test_pod_failure_policy_fail_job_ends_the_job_at_the_first_match(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}
    job = run_to_end(
        batch, ns, job_manifest("fatal", backoffLimit=6, podFailurePolicy=policy, **failing(42))
    )

    failed = condition(job, "Failed")
    assert failed is not None
    assert failed.reason == "PodFailurePolicy"
    assert "failed with exit code 42 matching FailJob rule at index 0" in failed.message
    assert len(job_pods(core, ns, "fatal")) == 1


@pytest.mark.clock_speed(20)
def test_job_status_moves_forward_within_parallelism(cluster: Any, ns: str) -> None:
    """Every status the Job goes through, as a watcher sees it (compare reference 49)."""
    stream = cluster.api.watch(
        "jobs", ns, field_selector="metadata.name=steady", timeout_seconds=60
    )
    statuses: list[dict[str, Any]] = []

    def collect() -> None:
        for event in stream:
            statuses.append(event["object"].get("status") or {})
            if any(c.get("type") == "Complete" for c in statuses[-1].get("conditions") or []):
                return

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    cluster.api.create("jobs", ns, job_manifest("steady", parallelism=2, completions=4))
    reader.join(WAIT_SECONDS)
    stream.stop()

    assert statuses[-1]["succeeded"] == 4
    assert all(status.get("active", 0) <= 2 for status in statuses)
    succeeded = [status.get("succeeded", 0) for status in statuses]
    assert succeeded == sorted(succeeded)
    assert statuses[1]["active"] == 2
    assert statuses[1]["startTime"]


@pytest.mark.clock_speed(20)
def test_suspending_a_running_job_removes_its_pods_without_failing_it(
    ns: str, batch: k8s.BatchV1Api, core: k8s.CoreV1Api
) -> None:
    batch.create_namespaced_job(ns, job_manifest("halt", **sleeping(600)))
    wait_for(
        lambda: batch.read_namespaced_job("halt", ns),
        lambda j: j.status.active == 1 and j.status.start_time is not None,
        "the pod to start",
    )

    batch.patch_namespaced_job("halt", ns, {"spec": {"suspend": True}})
    job = wait_for(
        lambda: batch.read_namespaced_job("halt", ns),
        lambda j: condition(j, "Suspended") is not None,
        "the Suspended condition",
    )
    wait_for(lambda: job_pods(core, ns, "halt"), lambda pods: pods == [], "the pod to go")

    # 1.24 kept startTime while suspended (reference 66); current controllers remove it once
    # the pods are gone (reference v1.36 C5) and set a new one on resume.
    job = wait_for(
        lambda: batch.read_namespaced_job("halt", ns),
        lambda j: j.status.start_time is None,
        "startTime to be removed",
    )
    assert not job.status.failed
    assert not job.status.active
    assert not finished(job)
