"""depends_on through the service on the embedded cluster: refusals with field violations,
waiting and release, cancellation when a dependency is cancelled or deleted, ListJobs by
dependency, WatchJobs transitions, and exactly-once release by racing replicas."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.dependson import WAITING_LABEL
from jobscheduler.jobtypes.metadata import MANAGED_BY_LABEL
from jobscheduler.kube import JOBS, KubeGateway
from jobscheduler.service import JobService
from jobscheduler.service.release import BackgroundSweeper
from tests.service.support import WAIT_SECONDS, container, wait_for, wait_status
from tests.service.test_delayed_and_cron import _StaleListGateway

pytestmark = pytest.mark.clock_speed(60)
FAILED = pb.JobDependency.CONDITION_FAILED


def _on(*job_ids: str, **fields: Any) -> pb.ScheduleJobRequest:
    return container(depends_on=[pb.JobDependency(job_id=j) for j in job_ids], **fields)


def _violations(call: Any) -> list[tuple[str, str]]:
    with pytest.raises(errors.InvalidArgument) as refused:
        call()
    return [(v.field, v.description) for v in refused.value.violations]


def _no_jobs(service: JobService) -> list[str]:
    return [j.job_id for j in service.list_jobs(pb.ListJobsRequest()).jobs]


def test_refusals_name_the_dependency(service: JobService) -> None:
    service.schedule_job(container(job_id="exists", sim={"run-seconds": 600}))
    cases = {
        "missing": _on("nope"),
        "self": _on("me", job_id="me"),
        "twice": _on("exists", "exists"),
        "bad id": _on("Not_A_Name"),
        "foreign": container(depends_on=[pb.JobDependency(job_id="exists", namespace="team-b")]),
        "too many": _on(*(f"j{i}" for i in range(33))),
        "schedule": _on("exists", schedule=pb.Schedule(cron="* * * * *")),
        "suspended": _on("exists", execution=pb.ExecutionOptions(start_suspended=True)),
    }
    refused = {
        name: _violations(lambda r=req: service.schedule_job(r)) for name, req in cases.items()
    }
    assert [f for f, _ in refused["missing"]] == ["depends_on[0].job_id"]
    assert "no job 'nope'" in refused["missing"][0][1]
    assert refused["self"] == [("depends_on[0].job_id", "a job cannot depend on itself")]
    assert refused["twice"] == [("depends_on[1].job_id", "is listed twice")]
    assert [f for f, _ in refused["bad id"]] == ["depends_on[0].job_id"]
    assert [f for f, _ in refused["foreign"]] == ["depends_on[0].namespace"]
    assert "own namespace" in refused["foreign"][0][1]
    assert refused["too many"] == [("depends_on", "at most 32 dependencies per job (got 33)")]
    assert [f for f, _ in refused["schedule"]] == ["depends_on"]
    assert [f for f, _ in refused["suspended"]] == ["depends_on"]
    assert _no_jobs(service) == ["exists"]  # nothing half-created


def test_a_batch_with_a_cycle_is_refused_naming_it(service: JobService) -> None:
    batch = pb.ScheduleJobsRequest(
        requests=[
            container(job_id="solo"),
            _on("z", job_id="x"),
            _on("x", job_id="y"),
            _on("y", job_id="z"),
        ]
    )
    violations = _violations(lambda: service.schedule_jobs(batch))
    assert len(violations) == 1
    field, description = violations[0]
    assert field in (
        "requests[1].depends_on[0]",
        "requests[2].depends_on[0]",
        "requests[3].depends_on[0]",
    )
    assert "cycle" in description and all(j in description for j in "xyz")
    assert _no_jobs(service) == []


def test_a_batch_item_whose_dependency_was_refused_is_not_created(service: JobService) -> None:
    batch = pb.ScheduleJobsRequest(
        requests=[_on("first", job_id="second"), container(job_id="first", image="")]
    )
    second, first = service.schedule_jobs(batch)
    assert isinstance(first, errors.InvalidArgument)
    assert isinstance(second, errors.FailedPrecondition)
    assert "'first' (requests[1]) was not" in second.message
    assert _no_jobs(service) == []


def test_a_dependent_waits_then_runs_and_is_listed_by_dependency(service: JobService) -> None:
    service.schedule_job(container(job_id="build", sim={"run-seconds": 5}))
    service.schedule_job(container(job_id="other"))
    waiting = service.schedule_job(_on("build", "other", job_id="deploy")).job_info
    assert waiting.status == pb.JOB_STATUS_SCHEDULED
    assert waiting.reason == "WaitingForDependencies"
    assert "build (succeeded)" in waiting.message
    listed = service.list_jobs(pb.ListJobsRequest(depends_on="build")).jobs
    assert [j.job_id for j in listed] == ["deploy"]
    assert service.list_jobs(pb.ListJobsRequest(depends_on="deploy")).jobs == []
    service.start()
    done = wait_status(service, "deploy", pb.JOB_STATUS_SUCCEEDED)
    build = service.get_job_status(pb.GetJobStatusRequest(job_id="build")).job_info
    assert done.started_at >= build.completed_at
    assert list(done.waiting_for) == []


def test_cancelling_or_deleting_a_dependency_cancels_its_dependents(service: JobService) -> None:
    for job_id in ("cancelled", "deleted"):
        service.schedule_job(container(job_id=job_id, sim={"run-seconds": 3600}))
    service.schedule_job(_on("cancelled", job_id="after-cancelled"))
    service.schedule_job(_on("deleted", job_id="after-deleted"))
    service.schedule_job(_on("after-deleted", job_id="grandchild"))
    service.cancel_job(pb.CancelJobRequest(job_id="cancelled"))
    service.delete_job(pb.DeleteJobRequest(job_id="deleted"))
    service.start()
    for job_id, cause, happened in (
        ("after-cancelled", "cancelled", "cancelled"),
        ("after-deleted", "deleted", "was deleted"),
        ("grandchild", "after-deleted", "cancelled"),
    ):
        info = wait_status(service, job_id, pb.JOB_STATUS_CANCELLED)
        assert info.reason == "DependencyFailed"
        assert info.message.startswith(f"dependency {cause!r} {happened}")


def test_a_failed_condition_runs_a_cleanup_and_watch_shows_each_transition(
    service: JobService,
) -> None:
    service.schedule_job(
        container(
            job_id="flaky",
            sim={"fail-attempts": 9, "run-seconds": 3},
            execution=pb.ExecutionOptions(max_retries=0),
        )
    )
    cleanup = container(
        job_id="cleanup", depends_on=[pb.JobDependency(job_id="flaky", condition=FAILED)]
    )
    service.schedule_job(cleanup)
    service.schedule_job(_on("flaky", job_id="report"))
    stream = service.watch_jobs(pb.WatchJobsRequest(), lambda: True)
    service.start()
    seen: dict[str, list[tuple[str, str]]] = {"cleanup": [], "report": []}
    deadline = time.monotonic() + WAIT_SECONDS
    for event in stream:
        if event.job.job_id in seen:
            step = (pb.JobStatus.Name(event.job.status), event.job.reason)
            if not seen[event.job.job_id] or seen[event.job.job_id][-1] != step:
                seen[event.job.job_id].append(step)
        if seen["cleanup"][-1:] == [("JOB_STATUS_SUCCEEDED", "Completed")] and seen["report"][
            -1:
        ] == [("JOB_STATUS_CANCELLED", "DependencyFailed")]:
            break
        assert time.monotonic() < deadline, seen
    assert seen["report"] == [
        ("JOB_STATUS_SCHEDULED", "WaitingForDependencies"),
        ("JOB_STATUS_CANCELLED", "DependencyFailed"),
    ]
    assert seen["cleanup"][0] == ("JOB_STATUS_SCHEDULED", "WaitingForDependencies")
    assert len(seen["cleanup"]) > 2  # released: pending or running before it succeeded


def test_two_replicas_never_release_a_dependent_twice(cluster: Any, service: JobService) -> None:
    namespace = getattr(cluster, "namespace", "default")
    service.schedule_job(container(job_id="dep"))
    service.schedule_job(_on("dep", job_id="dependent"))
    wait_status(service, "dep", pb.JOB_STATUS_SUCCEEDED)
    client = cluster.api_client()
    try:
        gateway = KubeGateway(client, service._settings)
        snapshot = gateway.list(
            JOBS, namespace, label_selector=f"{MANAGED_BY_LABEL}=jobscheduler,{WAITING_LABEL}=true"
        )
        assert [j["metadata"]["name"] for j in snapshot["items"]] == ["dependent"]
        replicas = [
            BackgroundSweeper(_StaleListGateway(gateway, snapshot), cluster.clock, namespace)  # type: ignore[arg-type]
            for _ in range(2)
        ]
        assert [replica.release_dependents() for replica in replicas] == [1, 0]
    finally:
        client.close()
    wait_for(service, "dependent", lambda info: info.status == pb.JOB_STATUS_SUCCEEDED)
