"""Requests at the edges of what can be represented, through a real gRPC server on the embedded
cluster: the caller gets INVALID_ARGUMENT naming the field it set, never INTERNAL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError

from .live import live_client


@pytest.fixture
def client(cluster: Any) -> Iterator[JobSchedulerClient]:
    with live_client(cluster) as c:
        yield c


def refused_fields(call: Any) -> set[str]:
    with pytest.raises(JobSchedulerRpcError) as caught:
        call()
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT, caught.value
    return {v.field for v in caught.value.violations}


@pytest.mark.parametrize(
    "bounds",
    [
        {"created_after": Timestamp(seconds=2**62)},
        {"created_before": Timestamp(seconds=-(2**62))},
        {"created_after": Timestamp(seconds=0, nanos=-1)},
        {"created_before": Timestamp(seconds=10, nanos=10**9)},
    ],
)
def test_list_jobs_with_times_outside_the_timestamp_range(
    client: JobSchedulerClient, bounds: dict[str, Timestamp]
) -> None:
    fields = refused_fields(lambda: client.list_jobs(pb.ListJobsRequest(**bounds)))
    assert fields == set(bounds)


def _timer(**fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name="t", timer_job=pb.TimerJobConfig(duration_seconds=60), **fields
    )


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"schedule": pb.Schedule(cron="0 2 * * *", time_zone="A" * 300)}, "schedule.time_zone"),
        ({"schedule": pb.Schedule(cron="5-1 * * * *")}, "schedule.cron"),
        ({"start_at": Timestamp(seconds=253402300799, nanos=1)}, "start_at"),
        (
            {"resources": pb.ResourceRequirements(requests=pb.ResourceList(cpu="1e9999999"))},
            "resources.requests.cpu",
        ),
        (
            {"resources": pb.ResourceRequirements(limits=pb.ResourceList(memory="1e9999999"))},
            "resources.limits.memory",
        ),
    ],
)
def test_schedule_job_out_of_range_values(
    client: JobSchedulerClient, request_fields: dict[str, Any], field: str
) -> None:
    assert refused_fields(lambda: client.schedule_job(_timer(**request_fields))) == {field}
    assert client.list_jobs().jobs == []  # nothing half-created
