"""Lifecycles through the service against the cluster (real client over HTTP)."""

from __future__ import annotations

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService

from .support import container, timer, wait_for, wait_status

pytestmark = pytest.mark.clock_speed(60)


def test_timer_runs_to_success_and_reads_back_everything(service: JobService) -> None:
    # Two seconds of real time at 60x: long enough to be seen running on a loaded machine.
    response = service.schedule_job(timer(duration=120, labels={"team": "platform"}))
    assert response.job_id.startswith("job-")
    assert response.k8s_job_name == response.job_id
    assert response.status == pb.JOB_STATUS_PENDING
    assert response.job_info.job_type == "timer"

    running = wait_status(service, response.job_id, pb.JOB_STATUS_RUNNING)
    assert running.active == 1
    assert running.started_at > 0
    assert running.start_time.seconds == running.started_at

    done = wait_status(service, response.job_id, pb.JOB_STATUS_SUCCEEDED)
    assert done.reason == "Completed"
    assert (done.succeeded, done.failed, done.active, done.attempts) == (1, 0, 0, 1)
    assert done.completed_at >= done.started_at >= done.created_at > 0
    assert done.completion_time.seconds == done.completed_at
    assert done.name == "my-timer"
    assert done.labels == {"team": "platform"}
    assert done.k8s_kind == "Job"
    assert done.namespace == response.job_info.namespace
    assert done.timer_details.duration_seconds == 120
    assert done.timer_details.timer_name == "build-timeout"
    assert done.timer_details.control_plane_endpoint == "http://control-plane:50053"


def test_a_failing_job_ends_failed_with_the_reason(service: JobService) -> None:
    req = container(sim={"exit-code": 3}, execution=pb.ExecutionOptions(max_retries=1))
    job_id = service.schedule_job(req).job_id
    info = wait_status(service, job_id, pb.JOB_STATUS_FAILED)
    assert info.reason == "BackoffLimitExceeded"
    assert info.failed == 2
    assert info.attempts == 2
    assert info.completed_at > 0


def test_an_exit_code_rule_fails_the_job_at_once(service: JobService) -> None:
    rule = pb.ExitCodeRule(action=pb.ExitCodeRule.ACTION_FAIL_JOB, exit_codes=[42])
    req = container(
        sim={"exit-code": 42},
        execution=pb.ExecutionOptions(max_retries=5, exit_code_rules=[rule]),
    )
    job_id = service.schedule_job(req).job_id
    info = wait_status(service, job_id, pb.JOB_STATUS_FAILED)
    assert info.reason == "PodFailurePolicy"
    assert info.failed == 1


def test_a_job_over_its_timeout_fails_with_deadline_exceeded(service: JobService) -> None:
    req = container(sim={"run-seconds": 3600}, execution=pb.ExecutionOptions(timeout_seconds=5))
    job_id = service.schedule_job(req).job_id
    info = wait_status(service, job_id, pb.JOB_STATUS_FAILED)
    assert info.reason == "DeadlineExceeded"


@pytest.mark.parametrize(
    ("sim", "reasons"),
    [
        ({"image-pull-error": "true"}, {"ErrImagePull", "ImagePullBackOff"}),
        ({"unschedulable": "true"}, {"Unschedulable"}),
    ],
)
def test_pods_that_cannot_start_are_explained(
    service: JobService, sim: dict[str, str], reasons: set[str]
) -> None:
    job_id = service.schedule_job(container(sim=sim)).job_id
    info = wait_for(service, job_id, lambda i: i.reason in reasons)
    assert info.status == pb.JOB_STATUS_PENDING
    assert info.message
    # ListJobs tells the same story as GetJobStatus (one pod LIST for the page).
    listed = {job.job_id: job for job in service.list_jobs(pb.ListJobsRequest()).jobs}
    assert listed[job_id].status == pb.JOB_STATUS_PENDING
    assert listed[job_id].reason in reasons


def test_cancel_stops_the_pods_and_reads_back_cancelled(service: JobService) -> None:
    job_id = service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_RUNNING)

    first = service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    assert first.success
    assert first.job_info.status == pb.JOB_STATUS_CANCELLED
    info = wait_for(service, job_id, lambda i: i.active == 0)
    assert info.status == pb.JOB_STATUS_CANCELLED
    assert info.reason == "Cancelled"
    assert info.completed_at > 0

    again = service.cancel_job(pb.CancelJobRequest(job_id=job_id))
    assert again.success
    assert again.message == "already cancelled"
    with pytest.raises(errors.FailedPrecondition):
        service.resume_job(pb.ResumeJobRequest(job_id=job_id))


def test_cancelling_a_finished_job_is_a_failed_precondition(service: JobService) -> None:
    job_id = service.schedule_job(container()).job_id
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    with pytest.raises(errors.FailedPrecondition, match="already succeeded"):
        service.cancel_job(pb.CancelJobRequest(job_id=job_id))


def test_suspend_and_resume(service: JobService) -> None:
    job_id = service.schedule_job(
        container(execution=pb.ExecutionOptions(start_suspended=True))
    ).job_id
    info = service.get_job_status(pb.GetJobStatusRequest(job_id=job_id)).job_info
    assert info.status == pb.JOB_STATUS_SUSPENDED
    assert info.attempts == 0

    resumed = service.resume_job(pb.ResumeJobRequest(job_id=job_id)).job_info
    assert resumed.status != pb.JOB_STATUS_SUSPENDED
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)
    # Resuming a finished job is refused; suspending one too.
    with pytest.raises(errors.FailedPrecondition):
        service.suspend_job(pb.SuspendJobRequest(job_id=job_id))


def test_suspend_a_running_job_then_resume_it(service: JobService) -> None:
    # Two seconds of real time at 60x: still running when the suspension arrives, however busy
    # the machine.
    job_id = service.schedule_job(container(sim={"run-seconds": 120})).job_id
    wait_status(service, job_id, pb.JOB_STATUS_RUNNING)
    suspended = service.suspend_job(pb.SuspendJobRequest(job_id=job_id)).job_info
    assert suspended.status == pb.JOB_STATUS_SUSPENDED
    assert wait_for(service, job_id, lambda i: i.active == 0).status == pb.JOB_STATUS_SUSPENDED
    # Idempotent.
    service.suspend_job(pb.SuspendJobRequest(job_id=job_id))
    service.resume_job(pb.ResumeJobRequest(job_id=job_id))
    wait_status(service, job_id, pb.JOB_STATUS_SUCCEEDED)


def test_delete_removes_the_job(service: JobService) -> None:
    job_id = service.schedule_job(container(sim={"run-seconds": 3600})).job_id
    response = service.delete_job(pb.DeleteJobRequest(job_id=job_id))
    assert response.deleted
    with pytest.raises(errors.NotFound, match=job_id):
        service.get_job_status(pb.GetJobStatusRequest(job_id=job_id))
    with pytest.raises(errors.NotFound, match=job_id):
        service.delete_job(pb.DeleteJobRequest(job_id=job_id))


def test_unknown_jobs_are_not_found_for_every_rpc(service: JobService) -> None:
    calls = [
        lambda: service.get_job_status(pb.GetJobStatusRequest(job_id="job-missing")),
        lambda: service.cancel_job(pb.CancelJobRequest(job_id="job-missing")),
        lambda: service.suspend_job(pb.SuspendJobRequest(job_id="job-missing")),
        lambda: service.resume_job(pb.ResumeJobRequest(job_id="job-missing")),
        lambda: service.delete_job(pb.DeleteJobRequest(job_id="job-missing")),
        lambda: service.watch_job(pb.WatchJobRequest(job_id="job-missing"), lambda: True),
        lambda: service.get_job_logs(pb.GetJobLogsRequest(job_id="job-missing"), lambda: True),
    ]
    for call in calls:
        with pytest.raises(errors.NotFound, match="'job-missing' not found in namespace"):
            call()


def test_rpcs_addressing_a_job_validate_the_address(service: JobService) -> None:
    with pytest.raises(errors.InvalidArgument) as error:
        service.get_job_status(pb.GetJobStatusRequest(job_id="", namespace="Bad NS"))
    assert [v.field for v in error.value.violations] == ["job_id", "namespace"]
    with pytest.raises(errors.InvalidArgument) as error:
        service.cancel_job(pb.CancelJobRequest(job_id="Not_A_Name"))
    assert [v.field for v in error.value.violations] == ["job_id"]
    with pytest.raises(errors.InvalidArgument) as error:
        service.get_job_logs(
            pb.GetJobLogsRequest(job_id="job-x", tail_lines=-1, limit_bytes=-1), lambda: True
        )
    assert [v.field for v in error.value.violations] == ["tail_lines", "limit_bytes"]
