"""An admission refusal (a ValidatingAdmissionPolicy or webhook answering for the cluster's own
policy, e.g. k8s/policies/) reaches the caller with Kubernetes' words, as FAILED_PRECONDITION
(403) or INVALID_ARGUMENT (422); the simulator cannot run CEL, so the answers are injected."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError

from .conftest import auth_server
from .rbac import ADMIN_VERBS, FakeReviewer, Grant

POLICY_MESSAGE = (
    "ValidatingAdmissionPolicy 'jobscheduler-allowed-images' with binding "
    "'jobscheduler-allowed-images' denied request: images must come from ghcr.io/acme/"
)
WEBHOOK_MESSAGE = (
    'admission webhook "limits.example.com" denied the request: cpu limit above 4 cores'
)


@pytest.fixture
def alice(embedded_cluster: Any) -> Any:
    reviewer = FakeReviewer(grants=[Grant("alice", "*", ADMIN_VERBS, ("jobs", "cronjobs"))])
    reviewer.add_user("tok-alice", "alice")
    with (
        auth_server(embedded_cluster, reviewer) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", token="tok-alice", timeout=20) as client,
    ):
        yield client


def _container(image: str = "docker.io/library/busybox:1.36") -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(container_job=pb.ContainerJobConfig(image=image, command=["true"]))


@pytest.mark.parametrize("message", [POLICY_MESSAGE, WEBHOOK_MESSAGE], ids=["vap", "webhook"])
def test_a_forbidden_admission_answer_is_failed_precondition_with_its_message(
    embedded_cluster: Any, alice: JobSchedulerClient, message: str
) -> None:
    embedded_cluster.faults.fail_next(
        1,
        verb="create",
        resource="jobs",
        status=403,
        message=f'jobs.batch "x" is forbidden: {message}',
    )
    with pytest.raises(JobSchedulerRpcError) as refused:
        alice.schedule_job(_container())
    assert refused.value.code is grpc.StatusCode.FAILED_PRECONDITION
    assert message in refused.value.message
    assert list(alice.list_jobs().jobs) == []  # nothing half-created


def test_an_invalid_admission_answer_is_invalid_argument_with_its_message(
    embedded_cluster: Any, alice: JobSchedulerClient
) -> None:
    embedded_cluster.faults.fail_next(
        1,
        verb="create",
        resource="jobs",
        status=422,
        message=f'Job.batch "x" is invalid: {POLICY_MESSAGE}',
    )
    with pytest.raises(JobSchedulerRpcError) as refused:
        alice.schedule_job(_container())
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert POLICY_MESSAGE in refused.value.message + " ".join(
        v.description for v in refused.value.violations
    )
