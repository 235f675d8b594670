"""Kubernetes' 403 refusals as a gRPC client sees them: a quota is RESOURCE_EXHAUSTED and names
the quota; an admission policy or a terminating namespace stays FAILED_PRECONDITION."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server

from .live import live_server

QUOTA_MESSAGE = (
    'jobs.batch "j" is forbidden: exceeded quota: team-a-jobs, requested: count/jobs.batch=1, '
    "used: count/jobs.batch=10, limited: count/jobs.batch=10"
)


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    with live_server(cluster) as srv:
        yield srv


@pytest.fixture
def client(server: Server) -> Iterator[JobSchedulerClient]:
    with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20) as c:
        yield c


def _container(name: str) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name=name, container_job=pb.ContainerJobConfig(image="busybox:1.36", command=["true"])
    )


def test_an_exceeded_quota_is_resource_exhausted_naming_the_quota(
    client: JobSchedulerClient, embedded_cluster: Any
) -> None:
    embedded_cluster.faults.fail_next(
        1, verb="create", resource="jobs", status=403, message=QUOTA_MESSAGE
    )
    with pytest.raises(JobSchedulerRpcError) as refused:
        client.schedule_job(_container("over-quota"))
    assert refused.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "team-a-jobs" in refused.value.message
    assert "limited: count/jobs.batch=10" in refused.value.message
    # Nothing was created, and the next request (quota freed) goes through.
    assert client.list_jobs().jobs == []
    client.schedule_job(_container("fits"))


@pytest.mark.parametrize(
    "message",
    [
        'admission webhook "validation.gatekeeper.sh" denied the request: '
        "[team-label] you must provide labels: {team}",
        'jobs.batch "j" is forbidden: unable to create new content in namespace team-a '
        "because it is being terminated",
    ],
)
def test_policy_and_terminating_namespace_refusals_stay_failed_precondition(
    client: JobSchedulerClient, embedded_cluster: Any, message: str
) -> None:
    embedded_cluster.faults.fail_next(
        1, verb="create", resource="jobs", status=403, message=message
    )
    with pytest.raises(JobSchedulerRpcError) as refused:
        client.schedule_job(_container("refused"))
    assert refused.value.code is grpc.StatusCode.FAILED_PRECONDITION
    assert message[:40] in refused.value.message
