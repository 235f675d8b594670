"""The service's job lifecycles on a real cluster: what users see through the gRPC API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc

from .conftest import IMAGE

pytestmark = pytest.mark.e2e

# Real pods: image start, scheduling and retries take a while on a busy node.
SETTLE_SECONDS = 180
FINAL = {pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED}

Stub = jobscheduler_pb2_grpc.JobSchedulerStub


def python_job(
    namespace: str, name: str, code: str, simulate: dict[str, str] | None = None, **execution: int
) -> pb.ScheduleJobRequest:
    """A job running `code` in the project image. `simulate` sets what the embedded cluster's
    simulated kubelet does instead (it runs no containers); real clusters ignore the annotations,
    so the suite also runs against `jobscheduler cluster` to check the tests themselves."""
    annotations = {f"sim.jobscheduler.io/{key}": value for key, value in (simulate or {}).items()}
    return pb.ScheduleJobRequest(
        name=name,
        namespace=namespace,
        annotations=annotations,
        container_job=pb.ContainerJobConfig(image=IMAGE, command=["python", "-c", code]),
        execution=pb.ExecutionOptions(**execution),
    )


def wait_for_status(
    stub: Stub, namespace: str, job_id: str, wanted: set[int]
) -> pb.GetJobStatusResponse:
    """Poll until the job reaches one of `wanted` (or a final state, which then fails the test)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    request = pb.GetJobStatusRequest(job_id=job_id, namespace=namespace)
    while True:
        reply = stub.GetJobStatus(request, timeout=10)
        if reply.status in wanted:
            return reply
        if reply.status in FINAL or time.monotonic() > deadline:
            pytest.fail(
                f"job {job_id} is {pb.JobStatus.Name(reply.status)} "
                f"({reply.job_info.reason}: {reply.job_info.message}), "
                f"waited for {[pb.JobStatus.Name(s) for s in wanted]}"
            )
        time.sleep(1)


def test_container_job_runs_to_success(stub: Stub, namespace: str) -> None:
    scheduled = stub.ScheduleJob(python_job(namespace, "hello", "print('hello')"), timeout=30)
    assert scheduled.job_id.startswith("job-")
    done = wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_SUCCEEDED})
    info = done.job_info
    assert info.namespace == namespace
    assert info.job_type == "container"
    assert info.succeeded >= 1
    assert info.completed_at >= info.started_at > 0


def test_failing_job_is_failed_with_the_reason(stub: Stub, namespace: str) -> None:
    request = python_job(
        namespace, "fails", "import sys; sys.exit(3)", {"exit-code": "3"}, max_retries=0
    )
    scheduled = stub.ScheduleJob(request, timeout=30)
    failed = wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_FAILED})
    assert failed.job_info.reason == "BackoffLimitExceeded"
    assert failed.job_info.failed >= 1


def test_cancelled_job_reads_back_as_cancelled(stub: Stub, namespace: str) -> None:
    request = python_job(
        namespace, "sleeper", "import time; time.sleep(600)", {"run-seconds": "600"}
    )
    scheduled = stub.ScheduleJob(request, timeout=30)
    wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_RUNNING})
    cancelled = stub.CancelJob(
        pb.CancelJobRequest(job_id=scheduled.job_id, namespace=namespace), timeout=30
    )
    assert cancelled.success
    assert wait_for_status(stub, namespace, scheduled.job_id, {pb.JOB_STATUS_CANCELLED}).status == (
        pb.JOB_STATUS_CANCELLED
    )
    # Idempotent: cancelling again is still a success, not an error.
    assert stub.CancelJob(
        pb.CancelJobRequest(job_id=scheduled.job_id, namespace=namespace), timeout=30
    ).success


def test_list_shows_the_namespace_jobs_newest_first(stub: Stub, namespace: str) -> None:
    ids = []
    for index in range(3):
        request = python_job(namespace, f"listed-{index}", "print('listed')")
        ids.append(stub.ScheduleJob(request, timeout=30).job_id)
        time.sleep(1.1)  # created_at has one-second resolution; keep the order observable
    listed = stub.ListJobs(pb.ListJobsRequest(namespace=namespace, page_size=2), timeout=30)
    assert [job.job_id for job in listed.jobs] == [ids[2], ids[1]]
    assert listed.next_page_token
    rest = stub.ListJobs(
        pb.ListJobsRequest(namespace=namespace, page_size=2, page_token=listed.next_page_token),
        timeout=30,
    )
    assert [job.job_id for job in rest.jobs] == [ids[0]]


def test_watch_sees_the_job_through_to_its_final_state(stub: Stub, namespace: str) -> None:
    request = python_job(namespace, "watched", "import time; time.sleep(3)", {"run-seconds": "3"})
    job_id = stub.ScheduleJob(request, timeout=30).job_id
    events = stub.WatchJob(
        pb.WatchJobRequest(job_id=job_id, namespace=namespace), timeout=SETTLE_SECONDS
    )
    statuses = [event.job.status for event in events]
    assert statuses[-1] == pb.JOB_STATUS_SUCCEEDED
    assert pb.JOB_STATUS_RUNNING in statuses, [pb.JobStatus.Name(s) for s in statuses]


def test_logs_of_a_finished_job(stub: Stub, namespace: str) -> None:
    line = "hello from the e2e job"
    request = python_job(namespace, "talker", f"print({line!r})", {"logs": line})
    job_id = stub.ScheduleJob(request, timeout=30).job_id
    wait_for_status(stub, namespace, job_id, {pb.JOB_STATUS_SUCCEEDED})
    chunks = list(
        stub.GetJobLogs(pb.GetJobLogsRequest(job_id=job_id, namespace=namespace), timeout=60)
    )
    assert line in "".join(chunk.text for chunk in chunks)
    assert all(chunk.pod_name for chunk in chunks), "each chunk names the pod it came from"


def test_suspended_job_starts_on_resume(stub: Stub, namespace: str) -> None:
    request = python_job(namespace, "held", "print('released')", start_suspended=True)
    job_id = stub.ScheduleJob(request, timeout=30).job_id
    wait_for_status(stub, namespace, job_id, {pb.JOB_STATUS_SUSPENDED})
    stub.ResumeJob(pb.ResumeJobRequest(job_id=job_id, namespace=namespace), timeout=30)
    wait_for_status(stub, namespace, job_id, {pb.JOB_STATUS_SUCCEEDED})


# Accepts one completion report, prints it, and exits: the timer's control plane, in the cluster.
RECEIVER = """
import http.server

class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        print("report", self.path, body, flush=True)
        self.send_response(200)
        self.end_headers()
        self.server.received = True

server = http.server.HTTPServer(("", 8080), Receiver)
server.received = False
while not server.received:
    server.handle_request()
"""


def test_timer_job_runs_the_project_image_and_reports_completion(
    stub: Stub, namespace: str, core_api: Any
) -> None:
    # TIMER_IMAGE is the project image (as in k8s/overlays/kind): `jobscheduler timer` waits, then
    # POSTs its report to the control plane, here a receiver job behind a Service.
    service = client.V1Service(
        metadata=client.V1ObjectMeta(name="receiver"),
        spec=client.V1ServiceSpec(
            selector={"e2e-role": "receiver"}, ports=[client.V1ServicePort(port=8080)]
        ),
    )
    try:
        core_api.create_namespaced_service(namespace, service)
    except ApiException as exc:
        if exc.status == 404:
            pytest.skip("this cluster has no Services (the embedded cluster): no control plane")
        raise
    receiver = python_job(namespace, "receiver", RECEIVER, {"run-seconds": "5"})
    receiver.labels["e2e-role"] = "receiver"
    receiver_id = stub.ScheduleJob(receiver, timeout=30).job_id
    wait_for_status(stub, namespace, receiver_id, {pb.JOB_STATUS_RUNNING})

    timer = pb.ScheduleJobRequest(
        name="e2e-timer",
        namespace=namespace,
        timer_job=pb.TimerJobConfig(
            duration_seconds=2,
            timer_name="e2e-timer",
            control_plane_endpoint=f"http://receiver.{namespace}.svc:8080",
        ),
    )
    timer_id = stub.ScheduleJob(timer, timeout=30).job_id
    done = wait_for_status(stub, namespace, timer_id, {pb.JOB_STATUS_SUCCEEDED})
    assert done.job_info.timer_details.timer_name == "e2e-timer"
    wait_for_status(stub, namespace, receiver_id, {pb.JOB_STATUS_SUCCEEDED})

    logs = "".join(
        chunk.text
        for chunk in stub.GetJobLogs(
            pb.GetJobLogsRequest(job_id=receiver_id, namespace=namespace), timeout=60
        )
    )
    assert "report" in logs
    assert timer_id in logs
    assert "e2e-timer" in logs
