"""Logs that outlive pods: kept in a ConfigMap owned by the Job, served once the pods are gone."""

from __future__ import annotations

import json
from typing import Any

import kubernetes.client
import pytest
from prometheus_client import REGISTRY

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from tests.service.support import container, wait_status

from .conftest import (
    Started,
    delete_pods,
    kept_configmap,
    logs,
    namespace_of,
    pods_of,
    until,
)

pytestmark = pytest.mark.clock_speed(60)
Core = kubernetes.client.CoreV1Api


def _text(chunks: list[pb.LogChunk]) -> str:
    return "".join(chunk.text for chunk in chunks)


def _printed(started: Any, job_id: str, text: str) -> None:
    until(f"{job_id} printed {text!r}", lambda: _text(logs(started, job_id)) == text)


def test_cancel_keeps_the_logs_before_the_pods_go(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started()
    namespace = namespace_of(cluster)
    req = container(sim={"logs": "started\nnever", "run-seconds": 3600})
    job_id = service.schedule_job(req).job_id
    _printed(service, job_id, "started\n")

    service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    until("the cancelled job's pods are gone", lambda: not pods_of(core, namespace, job_id))

    chunks = logs(service, job_id)
    assert _text(chunks) == "started\n"
    assert all(chunk.kept for chunk in chunks)
    assert chunks[0].pod_name.startswith(job_id + "-")
    # Where kubectl finds it: owned by the Job (so it goes with it), labelled for the service.
    configmap = kept_configmap(core, namespace, job_id)
    assert configmap is not None
    assert configmap.metadata.labels["jobscheduler.io/kept-logs"] == job_id
    [owner] = configmap.metadata.owner_references
    job = kubernetes.client.BatchV1Api(core.api_client).read_namespaced_job(job_id, namespace)
    assert (owner.kind, owner.name, owner.uid) == ("Job", job_id, job.metadata.uid)
    [entry] = json.loads(configmap.metadata.annotations["jobscheduler.io/kept-pods"])
    assert (entry["reason"], entry["phase"]) == ("cancelled", "Running")
    # The options apply to kept text too.
    assert _text(logs(service, job_id, tail_lines=1)) == "started\n"
    assert _text(logs(service, job_id, limit_bytes=3)) == "sta"


def test_a_finished_job_keeps_its_logs_for_when_its_pods_are_removed(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started()
    namespace = namespace_of(cluster)
    job_id = service.schedule_job(container(sim={"logs": "one\ntwo"})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    until("the logs are kept", lambda: kept_configmap(core, namespace, job_id))
    live = logs(service, job_id)
    assert _text(live) == "one\ntwo\n" and not any(chunk.kept for chunk in live)

    delete_pods(core, namespace, job_id)  # the pod garbage collector, an eviction, a drain
    kept = logs(service, job_id)
    assert _text(kept) == "one\ntwo\n"
    assert all(chunk.kept for chunk in kept)
    assert kept[0].pod_name == live[0].pod_name


def test_a_failed_job_keeps_the_logs_of_every_attempt(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started()
    namespace = namespace_of(cluster)
    req = container(
        sim={"logs": "trying", "exit-code": 3}, execution=pb.ExecutionOptions(max_retries=1)
    )
    job_id = service.schedule_job(req).job_id
    wait_status(service, job_id, pb.JOB_STATUS_FAILED)
    until("the logs are kept", lambda: kept_configmap(core, namespace, job_id))
    delete_pods(core, namespace, job_id)

    chunks = logs(service, job_id)
    assert _text(chunks) == "trying\n" * 2
    assert len({chunk.pod_name for chunk in chunks}) == 2
    assert all(chunk.kept for chunk in chunks)
    previous = logs(service, job_id, previous=True)  # the attempt the retry replaced
    assert [chunk.pod_name for chunk in previous] == [chunks[0].pod_name]


def test_the_kept_logs_go_with_the_job_when_its_ttl_deletes_it(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started()
    namespace = namespace_of(cluster)
    # Two minutes of cluster time (two real seconds): long enough to see the logs kept first.
    execution = pb.ExecutionOptions(ttl_seconds_after_finished=120)
    job_id = service.schedule_job(container(sim={"logs": "bye"}, execution=execution)).job_id
    until("the logs are kept", lambda: kept_configmap(core, namespace, job_id))

    def job_gone() -> bool:
        try:
            service.get_job_status(pb.GetJobStatusRequest(job_id=job_id))
        except errors.NotFound:
            return True
        return False

    until("the TTL removed the job", job_gone)
    # The TTL controller deletes in the foreground: the Job's dependents go before it does.
    assert kept_configmap(core, namespace, job_id) is None
    with pytest.raises(errors.NotFound):
        logs(service, job_id)


def _kept_total(outcome: str) -> float:
    labels = {"reason": "finished", "outcome": outcome}
    return REGISTRY.get_sample_value("jobscheduler_kept_logs_total", labels) or 0.0


def test_two_replicas_keep_a_finished_job_once(started: Started, core: Core, cluster: Any) -> None:
    first, second = started(), started()
    namespace = namespace_of(cluster)
    outcomes = ("kept", "already_kept", "nothing_new")
    before = {outcome: _kept_total(outcome) for outcome in outcomes}
    job_id = first.schedule_job(container(sim={"logs": "once"})).job_id
    until("both replicas tried", lambda: (
        sum(_kept_total(o) - before[o] for o in outcomes) >= 2
    ))  # fmt: skip
    assert _kept_total("kept") - before["kept"] == 1  # the other found it kept
    configmap = kept_configmap(core, namespace, job_id)
    assert configmap is not None and list(configmap.data.values()) == ["once\n"]
    delete_pods(core, namespace, job_id)
    assert _text(logs(second, job_id)) == "once\n"


def test_suspend_keeps_the_logs_and_a_later_suspend_adds_the_next_run(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started()
    namespace = namespace_of(cluster)
    job_id = service.schedule_job(container(sim={"logs": "run\nrest", "run-seconds": 3600})).job_id
    _printed(service, job_id, "run\n")
    service.suspend_job(pb.SuspendJobRequest(job_id=job_id))
    until("the suspended job's pods are gone", lambda: not pods_of(core, namespace, job_id))
    assert _text(logs(service, job_id)) == "run\n"

    service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    _printed(service, job_id, "run\nrun\n")  # the kept pod, then the new one
    service.suspend_job(pb.SuspendJobRequest(job_id=job_id))
    until("the pods are gone again", lambda: not pods_of(core, namespace, job_id))
    chunks = logs(service, job_id)
    assert _text(chunks) == "run\nrun\n"
    assert len({chunk.pod_name for chunk in chunks}) == 2 and all(c.kept for c in chunks)


def test_nothing_kept_says_so_instead_of_an_empty_stream(
    started: Started, core: Core, cluster: Any
) -> None:
    service = started(kept_logs_max_pods=0)  # keeping turned off
    namespace = namespace_of(cluster)
    job_id = service.schedule_job(container(sim={"logs": "lost", "run-seconds": 3600})).job_id
    _printed(service, job_id, "lost\n")
    service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    until("the cancelled job's pods are gone", lambda: not pods_of(core, namespace, job_id))
    with pytest.raises(errors.FailedPrecondition) as refused:
        logs(service, job_id)
    assert refused.value.message == (
        f"job {job_id!r} is cancelled and its pods are gone; no logs of them were kept (this "
        "server keeps no logs (KEPT_LOGS_BYTES_PER_POD or KEPT_LOGS_MAX_PODS is 0))"
    )
    assert kept_configmap(core, namespace, job_id) is None
    # A job that never started has no logs to lose: an empty stream, as before.
    waiting = service.schedule_job(
        container(execution=pb.ExecutionOptions(start_suspended=True))
    ).job_id
    assert logs(service, waiting) == []


def test_only_the_tail_fits_the_budget(started: Started, core: Core, cluster: Any) -> None:
    service = started(kept_logs_bytes_per_pod=20)
    namespace = namespace_of(cluster)
    lines = "\n".join(f"line {n:02}" for n in range(1, 11))  # ten lines of 8 bytes
    job_id = service.schedule_job(container(sim={"logs": lines})).job_id
    until("the logs are kept", lambda: kept_configmap(core, namespace, job_id))
    delete_pods(core, namespace, job_id)
    # The last 20 bytes, from the first whole line in them.
    assert _text(logs(service, job_id)) == "line 09\nline 10\n"
    configmap = kept_configmap(core, namespace, job_id)
    assert configmap is not None
    [entry] = json.loads(configmap.metadata.annotations["jobscheduler.io/kept-pods"])
    assert entry["droppedBytes"] == len(lines) + 1 - len("line 09\nline 10\n")
