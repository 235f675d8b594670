"""The transport settings the server sets on purpose: message size limit and keepalive."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc
from jobscheduler.edge.server import (
    MAX_RECEIVE_MESSAGE_BYTES,
    MIN_CLIENT_PING_INTERVAL_MS,
    Server,
)

from .fakes import FakeJobService


def _request_of_size(size: int) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name="big",
        container_job=pb.ContainerJobConfig(image="busybox:1.36", env={"BLOB": "x" * size}),
    )


def test_a_request_over_4_mib_is_refused_with_resource_exhausted(
    server: Server, fake_service: FakeJobService
) -> None:
    assert MAX_RECEIVE_MESSAGE_BYTES == 4 * 1024 * 1024
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ScheduleJob(_request_of_size(MAX_RECEIVE_MESSAGE_BYTES + 1), timeout=30)
        assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "schedule_job" not in [name for name, _ in fake_service.requests]
        # Just under the limit the request reaches the service.
        stub.ScheduleJob(_request_of_size(MAX_RECEIVE_MESSAGE_BYTES - 1024), timeout=30)
        assert "schedule_job" in [name for name, _ in fake_service.requests]


@pytest.mark.slow
def test_an_idle_client_pinging_at_the_documented_minimum_keeps_its_connection(
    server: Server,
) -> None:
    """gRPC's default answers two pings faster than 5 minutes with GOAWAY too_many_pings; a
    client (or load balancer) keeping an idle connection warm would lose it every few pings."""
    options = [
        ("grpc.keepalive_time_ms", MIN_CLIENT_PING_INTERVAL_MS),
        ("grpc.keepalive_timeout_ms", 5_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    states: list[grpc.ChannelConnectivity] = []
    lock = threading.Lock()

    def note(state: grpc.ChannelConnectivity) -> None:
        with lock:
            states.append(state)

    with grpc.insecure_channel(f"127.0.0.1:{server.port}", options=options) as channel:
        channel.subscribe(note, try_to_connect=True)
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = jobscheduler_pb2_grpc.JobSchedulerStub(channel)
        stub.ListJobTypes(pb.ListJobTypesRequest(), timeout=10)
        # Idle for four ping intervals: past the two strikes that would end the connection.
        time.sleep(4 * MIN_CLIENT_PING_INTERVAL_MS / 1000 + 1)
        stub.ListJobTypes(pb.ListJobTypesRequest(), timeout=10)
        channel.unsubscribe(note)
    with lock:
        after_ready = states[states.index(grpc.ChannelConnectivity.READY) :]
    # A GOAWAY would have taken the channel out of READY (to IDLE, then connecting again).
    assert after_ready == [grpc.ChannelConnectivity.READY], after_ready
