"""The edge delegates each RPC to the service and gives the caller its answer and request id."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc as pb_grpc
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server
from jobscheduler.edge.servicer import JobSchedulerServicer

from .fakes import FakeJobService


def test_unary_rpcs_return_the_service_answer(
    client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    reply = client.schedule_job(
        pb.ScheduleJobRequest(name="t", timer_job=pb.TimerJobConfig(duration_seconds=5))
    )
    assert reply.job_id == "job-fake0001"
    assert client.get_job_status("job-x").status == pb.JOB_STATUS_RUNNING
    assert [j.job_id for j in client.list_jobs().jobs] == ["job-a1", "job-b2"]
    assert client.cancel_job("job-x").success
    assert client.suspend_job("job-x").job_info.status == pb.JOB_STATUS_SUSPENDED
    assert client.resume_job("job-x").job_info.job_id == "job-x"
    assert client.delete_job("job-x").deleted
    assert client.list_job_types().job_types[0].request_field == "timer_job"
    assert not client.list_schedules().schedules
    called = [name for name, _ in fake_service.requests]
    assert called == [
        "schedule_job",
        "get_job_status",
        "list_jobs",
        "cancel_job",
        "suspend_job",
        "resume_job",
        "delete_job",
        "list_job_types",
        "list_schedules",
    ]


def test_streams_deliver_every_message(
    client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    fake_service.events = [
        pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="job-1")),
        pb.JobEvent(
            type=pb.JobEvent.TYPE_CHANGED,
            job=pb.JobInfo(job_id="job-1", status=pb.JOB_STATUS_SUCCEEDED),
        ),
    ]
    events = list(client.watch_job("job-1"))
    assert [e.type for e in events] == [pb.JobEvent.TYPE_INITIAL, pb.JobEvent.TYPE_CHANGED]
    assert len(list(client.watch_jobs())) == 2
    logs = "".join(c.text for c in client.get_job_logs("job-1"))
    assert logs == "hello\ndone\n"


def test_request_id_is_echoed_or_generated(server: Server) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.JobSchedulerStub(channel)
        _, call = stub.GetJobStatus.with_call(
            pb.GetJobStatusRequest(job_id="job-1"), metadata=[("x-request-id", "abc-123")]
        )
        assert ("x-request-id", "abc-123") in call.initial_metadata()
        assert ("x-request-id", "abc-123") in call.trailing_metadata()

        _, call = stub.GetJobStatus.with_call(pb.GetJobStatusRequest(job_id="job-1"))
        generated = dict(call.initial_metadata())["x-request-id"]
        assert generated.startswith("req-")


def test_reflection_and_health_are_registered(server: Server) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {"jobscheduler.JobScheduler", "grpc.health.v1.Health"} <= services

    with JobSchedulerClient(f"127.0.0.1:{server.port}") as client:
        assert client.health("") == health_pb2.HealthCheckResponse.SERVING
        assert client.health("jobscheduler.JobScheduler") == health_pb2.HealthCheckResponse.SERVING


def test_service_lifecycle_follows_the_server(fake_service: FakeJobService) -> None:
    server = Server(fake_service, host="127.0.0.1", port=0, metrics_port=None)
    server.start()
    assert fake_service.started and not fake_service.stopped
    server.stop(grace=0)
    assert fake_service.stopped


def test_port_in_use_is_a_clear_error(server: Server, fake_service: FakeJobService) -> None:
    second = Server(FakeJobService(), host="127.0.0.1", port=server.port, metrics_port=None)
    with pytest.raises(OSError, match=f"127.0.0.1:{server.port}"):
        second.start()


def test_the_service_sees_the_request_id_and_the_callers_deadline(
    server: Server, fake_service: FakeJobService
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.JobSchedulerStub(channel)
        stub.GetJobStatus(
            pb.GetJobStatusRequest(job_id="job-1"),
            timeout=120,
            metadata=[("x-request-id", "trace-me")],
        )
        stub.GetJobStatus(pb.GetJobStatusRequest(job_id="job-1"))
    (request_id, remaining), (_, no_deadline) = fake_service.contexts
    assert request_id == "trace-me"
    # gRPC rounds the propagated deadline a little, either way; a loaded machine may take a
    # while to deliver the call, so only "most of the 120 s are left" is asserted.
    assert remaining is not None and 60 < remaining < 121
    assert no_deadline is None


def test_every_rpc_in_the_proto_is_served() -> None:
    """A new RPC added to the proto without a servicer method fails here, not for a user."""
    service = pb.DESCRIPTOR.services_by_name["JobScheduler"]
    missing = [
        method.name
        for method in service.methods
        if getattr(JobSchedulerServicer, method.name)
        is getattr(pb_grpc.JobSchedulerServicer, method.name)
    ]
    assert missing == []


def test_beyond_the_worker_pool_rpcs_are_refused_not_queued(fake_service: FakeJobService) -> None:
    server = Server(fake_service, host="127.0.0.1", port=0, metrics_port=None, max_workers=2)
    server.start()
    fake_service.events = [pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="j"))]
    fake_service.stream_until_inactive = True
    target = f"127.0.0.1:{server.port}"
    try:
        with JobSchedulerClient(target) as first, JobSchedulerClient(target) as second:
            streams = [first.watch_jobs(), second.watch_jobs()]
            for stream in streams:
                next(stream)  # both workers now hold an open stream
            with JobSchedulerClient(target) as third, pytest.raises(JobSchedulerRpcError) as caught:
                third.list_jobs()
            assert caught.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
            for stream in streams:
                stream.close()
            assert fake_service.stream_ended.wait(10)
    finally:
        server.stop(grace=0)
