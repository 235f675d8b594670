"""The read-back annotations share one 256 KiB budget: a request that blows it is refused
naming the fields the caller set, never a field the request does not have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.kube import KubeGateway
from jobscheduler.service import JobService


@pytest.fixture
def service(cluster: Any) -> Iterator[JobService]:
    client = cluster.api_client()
    settings = Settings(in_cluster=False, k8s_namespace=getattr(cluster, "namespace", "default"))
    svc = JobService(settings, KubeGateway(client, settings), clock=cluster.clock)
    try:
        yield svc
    finally:
        svc.stop()
        client.close()


def test_huge_args_are_refused_naming_the_args_not_annotations(service: JobService) -> None:
    request = pb.ScheduleJobRequest(
        job_id="job-emoji",
        container_job=pb.ContainerJobConfig(
            image="busybox:1.36", args=["\N{GRINNING FACE}" * 30_000] * 4
        ),
    )
    with pytest.raises(errors.InvalidArgument) as error:
        service.schedule_job(request)
    assert [v.field for v in error.value.violations] == ["container_job.args"]
    assert "262144" in error.value.violations[0].description
    with pytest.raises(errors.NotFound):
        service.get_job_status(pb.GetJobStatusRequest(job_id="job-emoji"))
