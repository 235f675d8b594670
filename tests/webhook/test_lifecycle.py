"""Webhook jobs through the real gRPC server and the embedded cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from tests.edge.live import live_server
from tests.probe.test_lifecycle import wait_status
from tests.service.support import SIM

pytestmark = pytest.mark.clock_speed(60)


@pytest.fixture
def client(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobSchedulerClient]:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", "hooks.example.com")
    with (
        # The simulated pods are steered (exit code, termination message) by annotations.
        live_server(cluster, pod_annotation_allowed_prefixes=(SIM,)) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=30) as c,
    ):
        yield c


def hook(job_id: str, **fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id,
        webhook_job=pb.WebhookJobConfig(
            url="https://hooks.example.com/deploy",
            body='{"env":"prod"}',
            secret_headers=[
                pb.SecretHeader(
                    header="Authorization", secret_name="deploy-hook", secret_key="token"
                )
            ],
        ),
        **fields,
    )


def test_a_delivered_webhook_succeeds_and_reads_back_without_secret_values(
    client: JobSchedulerClient, cluster: Any
) -> None:
    client.schedule_job(hook("hook-ok"))
    info = wait_status(client, "hook-ok", pb.JOB_STATUS_SUCCEEDED)
    assert info.webhook_details.method == "POST"
    assert list(info.webhook_details.secret_names) == ["deploy-hook"]
    namespace = getattr(cluster, "namespace", "default")
    job = cluster.api.get("jobs", namespace, "hook-ok")
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "WEBHOOK_SECRET_HEADER_0",
        "valueFrom": {"secretKeyRef": {"name": "deploy-hook", "key": "token"}},
    } in env


def test_an_undelivered_webhook_fails_with_the_runners_reason(client: JobSchedulerClient) -> None:
    client.schedule_job(
        hook(
            "hook-down",
            annotations={
                SIM + "exit-code": "1",
                SIM + "termination-message": "WebhookFailed: HTTP 500 after 3 attempts",
            },
            execution=pb.ExecutionOptions(max_retries=0),
        )
    )
    info = wait_status(client, "hook-down", pb.JOB_STATUS_FAILED)
    assert (info.reason, info.message) == (
        "WebhookFailed",
        "WebhookFailed: HTTP 500 after 3 attempts",
    )


def test_header_injection_and_a_foreign_host_are_field_violations(
    client: JobSchedulerClient,
) -> None:
    bad = pb.ScheduleJobRequest(
        webhook_job=pb.WebhookJobConfig(
            url="https://evil.example.net/",
            headers={"X-Ok": "fine\r\nX-Injected: yes"},
            expected_status_codes=[1000],
        )
    )
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.schedule_job(bad)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == [
        "webhook_job.url",
        'webhook_job.headers["X-Ok"]',
        "webhook_job.expected_status_codes",
    ]
