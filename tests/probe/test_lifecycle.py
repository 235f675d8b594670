"""Health-check jobs through the real gRPC server and the embedded cluster."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from tests.edge.live import live_server
from tests.service.support import SIM, WAIT_SECONDS

pytestmark = pytest.mark.clock_speed(60)


@pytest.fixture
def client(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobSchedulerClient]:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", "*.example.com")
    with (
        # The simulated pods are steered (exit code, termination message) by annotations.
        live_server(cluster, pod_annotation_allowed_prefixes=(SIM,)) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=30) as c,
    ):
        yield c


def wait_status(client: JobSchedulerClient, job_id: str, status: int) -> pb.JobInfo:
    deadline = time.monotonic() + WAIT_SECONDS
    info = pb.JobInfo()
    while time.monotonic() < deadline:
        info = client.get_job_status(job_id).job_info
        if info.status == status:
            return info
        time.sleep(0.05)
    raise AssertionError(f"{job_id} never reached {pb.JobStatus.Name(status)}; last: {info}")  # type: ignore[arg-type]


def probe(job_id: str, **fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id,
        health_check_job=pb.HealthCheckJobConfig(target="https://api.example.com/healthz"),
        **fields,
    )


def test_a_healthy_probe_succeeds(client: JobSchedulerClient) -> None:
    response = client.schedule_job(probe("probe-ok"))
    assert response.job_info.job_type == "health-check"
    info = wait_status(client, "probe-ok", pb.JOB_STATUS_SUCCEEDED)
    assert info.health_check_details.probe == "http"
    assert info.health_check_details.target == "https://api.example.com/healthz"


def test_a_failing_probe_fails_with_the_runners_reason(client: JobSchedulerClient) -> None:
    # The simulated kubelet plays the runner: exit 1 and its termination message.
    client.schedule_job(
        probe(
            "probe-down",
            annotations={
                SIM + "exit-code": "1",
                SIM + "termination-message": "ProbeFailed: HTTP 503",
            },
            execution=pb.ExecutionOptions(max_retries=0),
        )
    )
    info = wait_status(client, "probe-down", pb.JOB_STATUS_FAILED)
    assert info.reason == "ProbeFailed"
    assert info.message == "ProbeFailed: HTTP 503"
    # Lists and watches give the same reason as the status, not BackoffLimitExceeded.
    listed = client.list_jobs(pb.ListJobsRequest(status_filter=[pb.JOB_STATUS_FAILED])).jobs
    assert [(job.job_id, job.reason, job.message) for job in listed] == [
        ("probe-down", "ProbeFailed", "ProbeFailed: HTTP 503")
    ]
    stream = client.watch_jobs(pb.WatchJobsRequest(), timeout=30)
    first = next(stream)
    stream.close()
    assert (first.job.job_id, first.job.reason) == ("probe-down", "ProbeFailed")
    listed = client.list_jobs(pb.ListJobsRequest(job_types=["health-check"])).jobs
    assert [job.job_id for job in listed] == ["probe-down"]


def test_a_schedule_of_probes_runs_probes(client: JobSchedulerClient) -> None:
    response = client.schedule_job(
        probe("probe-every-minute", schedule=pb.Schedule(cron="* * * * *"))
    )
    assert response.job_info.k8s_kind == "CronJob"
    deadline = time.monotonic() + WAIT_SECONDS
    runs: list[pb.JobInfo] = []
    while time.monotonic() < deadline and not runs:
        runs = list(client.list_jobs(pb.ListJobsRequest(schedule_id="probe-every-minute")).jobs)
        time.sleep(0.1)
    assert runs, "the schedule never ran"
    assert runs[0].job_type == "health-check"
    assert runs[0].health_check_details.target == "https://api.example.com/healthz"
    wait_status(client, runs[0].job_id, pb.JOB_STATUS_SUCCEEDED)


def test_a_target_outside_the_allowlist_is_refused_and_nothing_is_created(
    client: JobSchedulerClient, cluster: Any
) -> None:
    bad = pb.ScheduleJobRequest(
        job_id="probe-bad",
        health_check_job=pb.HealthCheckJobConfig(
            target="http://169.254.169.254/", timeout_seconds=99
        ),
    )
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_job(bad)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == [
        "health_check_job.target",
        "health_check_job.timeout_seconds",
    ]
    assert "cloud metadata" in caught.value.violations[0].description
    namespace = getattr(cluster, "namespace", "default")
    assert not cluster.api.list("jobs", namespace)["items"]


def test_list_job_types_describes_the_new_types(client: JobSchedulerClient) -> None:
    types = {t.name: t for t in client.list_job_types().job_types}
    assert types["health-check"].request_field == "health_check_job"
    assert types["webhook"].config_message == "jobscheduler.WebhookJobConfig"
    fields = {f.name: f for f in types["health-check"].fields}
    assert fields["target"].required
    assert fields["expected_status_codes"].type == "repeated int32"
