"""Delayed starts (suspended Jobs released by the sweeper) and schedules (CronJobs)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.metadata import MANAGED_BY_LABEL, START_AT_LABEL
from jobscheduler.kube import JOBS, KubeGateway, Resource
from jobscheduler.service import JobService
from jobscheduler.service.release import BackgroundSweeper

from .conftest import make_service
from .support import WAIT_SECONDS, container, wait_for, wait_status

pytestmark = pytest.mark.clock_speed(60)


def _in(cluster: Any, seconds: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(cluster.clock.now() + timedelta(seconds=seconds))
    return stamp


def test_a_delayed_job_waits_then_starts_on_time(cluster: Any, service: JobService) -> None:
    start_at = _in(cluster, 120)
    response = service.schedule_job(container(start_at=start_at))
    assert response.status == pb.JOB_STATUS_SCHEDULED
    assert response.job_info.reason == "WaitingForStartTime"
    # Whole seconds, rounded up so the job never starts early.
    expected_start = start_at.seconds + (1 if start_at.nanos else 0)
    assert response.job_info.start_at.seconds == expected_start

    service.start()
    done = wait_status(service, response.job_id, pb.JOB_STATUS_SUCCEEDED)
    assert done.started_at >= expected_start
    assert done.start_at.seconds == expected_start


def test_a_restart_loses_no_delayed_job(cluster: Any) -> None:
    first, first_client = make_service(cluster)
    job_id = first.schedule_job(container(start_at=_in(cluster, 30))).job_id
    first.stop()  # the first replica goes away without ever starting its sweeper
    first_client.close()

    second, second_client = make_service(cluster)
    try:
        second.start()
        wait_status(second, job_id, pb.JOB_STATUS_SUCCEEDED)
    finally:
        second.stop()
        second_client.close()


class _StaleListGateway:
    """A gateway whose job listing is a snapshot taken earlier: two replicas that read the
    same state and then both try to release the same job."""

    def __init__(self, real: KubeGateway, snapshot: dict[str, Any]) -> None:
        self._real = real
        self._snapshot = snapshot

    def list(self, resource: Resource, namespace: str | None, **_: Any) -> dict[str, Any]:
        return self._snapshot if resource == JOBS else self._real.list(resource, namespace, **_)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _wait_until_due(cluster: Any, gateway: KubeGateway, namespace: str, job_id: str) -> None:
    """Until the job controller has recorded the delayed Job as suspended and its start time
    has passed on the cluster clock. The controller's status write gives the Job a new
    resourceVersion, so a sweep that listed the Job before it would lose the race (409) and
    release it only on its next pass."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = gateway.get(JOBS, namespace, job_id)
        conditions = (job.get("status") or {}).get("conditions") or []
        start_at = int(job["metadata"]["labels"][START_AT_LABEL])
        suspended = any(c["type"] == "Suspended" and c["status"] == "True" for c in conditions)
        if suspended and cluster.clock.now().timestamp() >= start_at:
            return
        time.sleep(0.02)
    raise AssertionError(f"{job_id} was never recorded as suspended and due")


def test_two_replicas_never_release_a_job_twice(cluster: Any, service: JobService) -> None:
    namespace = getattr(cluster, "namespace", "default")
    job_id = service.schedule_job(container(start_at=_in(cluster, 1))).job_id
    client = cluster.api_client()
    try:
        gateway = KubeGateway(client, service._settings)
        _wait_until_due(cluster, gateway, namespace, job_id)
        snapshot = gateway.list(
            JOBS, namespace, label_selector=f"{MANAGED_BY_LABEL}=jobscheduler,{START_AT_LABEL}"
        )
        assert [j["metadata"]["name"] for j in snapshot["items"]] == [job_id]
        replicas = [
            BackgroundSweeper(_StaleListGateway(gateway, snapshot), cluster.clock, namespace)  # type: ignore[arg-type]
            for _ in range(2)
        ]
        assert [replica.release_due() for replica in replicas] == [1, 0]
    finally:
        client.close()
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)


def test_resuming_a_delayed_job_starts_it_now(service: JobService, cluster: Any) -> None:
    job_id = service.schedule_job(container(start_at=_in(cluster, 86400))).job_id
    service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)


def test_cancelling_a_delayed_job_keeps_it_from_starting(service: JobService, cluster: Any) -> None:
    scheduled = service.schedule_job(container(start_at=_in(cluster, 5)))
    job_id = scheduled.job_id
    service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    service.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while cluster.clock.now().timestamp() <= scheduled.job_info.start_at.seconds:
        assert time.monotonic() < deadline, "the cluster clock never reached the start time"
        time.sleep(0.02)
    # At least one pass after the start time, whatever the background sweeper managed so far.
    namespace = getattr(cluster, "namespace", "default")
    assert BackgroundSweeper(service._gateway, cluster.clock, namespace).release_due() == 0
    info = service.get_job_status(pb.GetJobStatusRequest(job_id=job_id)).job_info
    assert info.status == pb.JOB_STATUS_CANCELLED
    assert info.attempts == 0


def test_a_cancelled_job_is_deleted_after_its_ttl(service: JobService) -> None:
    req = container(
        sim={"run-seconds": 3600}, execution=pb.ExecutionOptions(ttl_seconds_after_finished=30)
    )
    job_id = service.schedule_job(req).job_id
    service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    service.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            service.get_job_status(pb.GetJobStatusRequest(job_id=job_id))
        except errors.NotFound:
            return
        time.sleep(0.05)
    raise AssertionError("the cancelled job was never deleted")


def test_a_schedule_runs_on_its_cron_and_its_runs_are_listed(service: JobService) -> None:
    req = container(
        job_id="every-minute",
        labels={"team": "data"},
        schedule=pb.Schedule(cron="* * * * *", time_zone="Europe/Paris"),
    )
    response = service.schedule_job(req)
    assert response.status == pb.JOB_STATUS_SCHEDULED
    assert response.job_info.k8s_kind == "CronJob"

    info = service.get_job_status(pb.GetJobStatusRequest(job_id="every-minute")).job_info
    assert info.status == pb.JOB_STATUS_SCHEDULED
    assert info.schedule.cron == "* * * * *"
    assert info.schedule.time_zone == "Europe/Paris"
    assert info.container_details.image == "busybox:1.36"

    deadline = time.monotonic() + WAIT_SECONDS
    runs: list[pb.JobInfo] = []
    while time.monotonic() < deadline and not runs:
        runs = list(service.list_jobs(pb.ListJobsRequest(schedule_id="every-minute")).jobs)
        time.sleep(0.1)
    assert runs, "the schedule never ran"
    run = runs[0]
    assert run.schedule_id == "every-minute"
    assert run.job_id.startswith("every-minute-")
    assert run.job_type == "container"
    assert run.labels == {"team": "data"}
    assert run.container_details.image == "busybox:1.36"
    wait_status(service, run.job_id, pb.JOB_STATUS_SUCCEEDED)

    schedules = service.list_schedules(pb.ListSchedulesRequest()).schedules
    assert [s.job_id for s in schedules] == ["every-minute"]
    assert wait_for(service, "every-minute", lambda i: i.last_schedule_time.seconds > 0)


def test_a_schedule_can_be_suspended_resumed_cancelled_and_deleted(
    service: JobService,
) -> None:
    service.schedule_job(container(job_id="nightly", schedule=pb.Schedule(cron="0 3 * * *")))
    suspended = service.suspend_job(pb.SuspendJobRequest(job_id="nightly")).job_info
    assert suspended.status == pb.JOB_STATUS_SUSPENDED
    resumed = service.resume_job(pb.ResumeJobRequest(job_id="nightly")).job_info
    assert resumed.status == pb.JOB_STATUS_SCHEDULED
    cancelled = service.cancel_job(pb.CancelJobRequest(job_id="nightly")).job_info
    assert cancelled.status == pb.JOB_STATUS_CANCELLED
    assert (
        service.get_job_status(pb.GetJobStatusRequest(job_id="nightly")).status
        == pb.JOB_STATUS_CANCELLED
    )
    with pytest.raises(errors.FailedPrecondition, match="schedule"):
        service.watch_job(pb.WatchJobRequest(job_id="nightly"), lambda: True)
    assert service.delete_job(pb.DeleteJobRequest(job_id="nightly")).deleted
    assert service.list_schedules(pb.ListSchedulesRequest()).schedules == []


def test_without_cluster_wide_rights_the_sweeper_releases_its_own_namespace(
    service: JobService, embedded_cluster: Any
) -> None:
    job_id = service.schedule_job(container(start_at=_in(embedded_cluster, 1))).job_id
    _wait_until_due(embedded_cluster, service._gateway, "default", job_id)
    sweeper = BackgroundSweeper(service._gateway, embedded_cluster.clock, "default")
    # The all-namespaces list is forbidden (a namespaced Role); the namespace list is not.
    embedded_cluster.faults.fail_next(1, verb="list", resource="jobs", status=403)
    assert sweeper.release_due() == 1
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)


def test_a_job_the_sweeper_may_not_change_does_not_stop_the_sweep(
    service: JobService, embedded_cluster: Any
) -> None:
    job_id = service.schedule_job(container(start_at=_in(embedded_cluster, 1))).job_id
    _wait_until_due(embedded_cluster, service._gateway, "default", job_id)
    sweeper = BackgroundSweeper(service._gateway, embedded_cluster.clock, "default")
    embedded_cluster.faults.fail_next(1, verb="patch", resource="jobs", status=403)
    assert sweeper.release_due() == 0  # forbidden this time, logged, not raised
    assert sweeper.release_due() == 1
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)


def test_cancelling_a_schedule_also_cancels_its_running_run(service: JobService) -> None:
    # CancelJob stops the pods: suspending the CronJob alone only stops *future* runs.
    service.schedule_job(
        container(
            job_id="long-runs", sim={"run-seconds": 3600}, schedule=pb.Schedule(cron="* * * * *")
        )
    )
    deadline = time.monotonic() + WAIT_SECONDS
    runs: list[pb.JobInfo] = []
    while time.monotonic() < deadline and not runs:
        runs = list(service.list_jobs(pb.ListJobsRequest(schedule_id="long-runs")).jobs)
        time.sleep(0.1)
    assert runs, "the schedule never ran"
    run_id = runs[0].job_id
    wait_status(service, run_id, pb.JOB_STATUS_RUNNING)

    service.cancel_job(pb.CancelJobRequest(job_id="long-runs"))
    run = service.get_job_status(pb.GetJobStatusRequest(job_id=run_id)).job_info
    assert run.status == pb.JOB_STATUS_CANCELLED
    wait_for(service, run_id, lambda info: info.active == 0)


def test_a_cancelled_schedule_is_deleted_after_its_ttl(service: JobService) -> None:
    # Kubernetes has no retention for CronJobs: without the sweep a cancelled schedule would
    # be listed forever.
    service.schedule_job(
        container(
            job_id="retired",
            schedule=pb.Schedule(cron="0 3 * * *"),
            execution=pb.ExecutionOptions(ttl_seconds_after_finished=30),
        )
    )
    service.cancel_job(pb.CancelJobRequest(job_id="retired"))
    service.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            service.get_job_status(pb.GetJobStatusRequest(job_id="retired"))
        except errors.NotFound:
            assert service.list_schedules(pb.ListSchedulesRequest()).schedules == []
            return
        time.sleep(0.05)
    raise AssertionError("the cancelled schedule was never deleted")
