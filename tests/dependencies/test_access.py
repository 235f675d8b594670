"""Depending on a job reveals its outcome: it needs ``get`` on jobs, besides ``create``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server
from tests.auth.conftest import auth_server
from tests.auth.rbac import FakeReviewer, Grant


def _timer(**fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        namespace="team-a",
        timer_job=pb.TimerJobConfig(duration_seconds=600, timer_name="t"),
        **fields,
    )


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    reviewer = FakeReviewer(
        grants=[
            Grant("writer", "team-a", ("create",), ("jobs",)),
            Grant("reader", "team-a", ("create", "get"), ("jobs",)),
        ]
    )
    reviewer.add_user("tok-writer", "writer")
    reviewer.add_user("tok-reader", "reader")
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    cluster.api.create("namespaces", None, body)
    with auth_server(cluster, reviewer, auth_cache_ttl_seconds=600) as srv:
        yield srv


def test_depending_on_a_job_needs_get_on_jobs(server: Server) -> None:
    address = f"127.0.0.1:{server.port}"
    with JobSchedulerClient(address, timeout=20, token="tok-reader") as reader:
        reader.schedule_job(_timer(job_id="upstream"))
        dependent = _timer(depends_on=[pb.JobDependency(job_id="upstream")])
        assert reader.schedule_job(dependent).job_info.reason == "WaitingForDependencies"
    with JobSchedulerClient(address, timeout=20, token="tok-writer") as writer:
        writer.schedule_job(_timer())  # creating alone is allowed
        with pytest.raises(JobSchedulerRpcError) as refused:
            writer.schedule_job(dependent)
    assert refused.value.code is grpc.StatusCode.PERMISSION_DENIED
    assert "'writer' may not get jobs.batch in namespace 'team-a'" in refused.value.message
