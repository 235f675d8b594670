"""However large a bad request, its INVALID_ARGUMENT fits gRPC's default client metadata limits
(8 KiB soft, 16 KiB hard): the caller gets its violations, not RESOURCE_EXHAUSTED."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc
from jobscheduler.edge.interceptors import (
    MAX_VIOLATION_FIELD_CHARS,
    MAX_VIOLATIONS,
)
from jobscheduler.edge.server import Server

from .live import live_server

SOFT_METADATA_LIMIT = 8 * 1024


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    with live_server(cluster) as srv:
        yield srv


@pytest.fixture
def stub(server: Server) -> Iterator[jobscheduler_pb2_grpc.JobSchedulerStub]:
    # Default channel options: the limits every client has unless it raises them.
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield jobscheduler_pb2_grpc.JobSchedulerStub(channel)  # type: ignore[no-untyped-call]


def refused(stub: Any, request: pb.ScheduleJobRequest) -> tuple[grpc.RpcError, list[Any]]:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ScheduleJob(request, timeout=30)
    error = caught.value
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    size = sum(len(k) + len(v) for k, v in error.trailing_metadata())
    assert size < SOFT_METADATA_LIMIT // 2
    return error, list(bad_request.field_violations)


def timer(**fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name="t", timer_job=pb.TimerJobConfig(duration_seconds=60), **fields
    )


def test_two_long_label_keys_get_their_violations(stub: Any) -> None:
    keys = ["a" * 2000, "b" * 2000]
    _, violations = refused(stub, timer(labels=dict.fromkeys(keys, "v")))
    assert len(violations) == 2
    for violation, key in zip(violations, keys, strict=True):
        assert violation.field.startswith(f'labels["{key[:50]}')
        assert len(violation.field) <= MAX_VIOLATION_FIELD_CHARS
        assert "63 characters" in violation.description


@pytest.mark.parametrize("character", ["x", "\U0001f600"])  # an emoji: percent-encoded x12
def test_the_worst_case_stays_within_the_default_limits(stub: Any, character: str) -> None:
    # Up to 2.4 MiB of request (the server takes 4 MiB): 400 long violations to report.
    labels = {f"{index:03d}" + character * 1500: character * 1500 for index in range(200)}
    error, violations = refused(stub, timer(labels=labels))
    assert len(violations) <= MAX_VIOLATIONS
    first = min(labels)
    assert violations[0].field.startswith('labels["000')
    assert violations[0].description == ("key name part must be at most 63 characters"), first[:10]
    assert "more" in error.details()
