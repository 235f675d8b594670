"""A webhook's secret headers need the caller's ``get`` on each Secret, asked of the cluster's
own RBAC (resourceNames honoured): the service must never be a way to send a Secret the caller
cannot read to a URL of their choosing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.config import Settings
from jobscheduler.edge.server import Server
from jobscheduler.kube import KubeGateway

from .conftest import auth_server
from .kubeaccess import ClusterAccess, rule

K8S = Path(__file__).resolve().parents[2] / "k8s"


@dataclass
class Setup:
    server: Server
    access: ClusterAccess
    namespace: str
    token: str  # may create jobs and cronjobs, and get the Secret "readable" only

    def connect(self) -> JobSchedulerClient:
        return JobSchedulerClient(f"127.0.0.1:{self.server.port}", timeout=20, token=self.token)


@pytest.fixture
def setup(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", "hooks.example.com")
    access = ClusterAccess(cluster)
    client = cluster.api_client()
    try:
        namespace = access.namespace("jssecrets")
        access.account(namespace, "ci")
        access.grant(
            namespace,
            (namespace, "ci"),
            [
                rule(["create", "get", "list"], ["jobs", "cronjobs"]),
                rule(["get"], ["secrets"], "", resourceNames=["readable"]),
            ],
        )
        access.secret(namespace, "readable", {"token": "r"})
        access.secret(namespace, "unreadable", {"token": "u"})
        reviewer = KubeGateway(client, Settings(in_cluster=False))
        # A long cache: a decision about one Secret must never answer for another.
        with auth_server(cluster, reviewer, auth_cache_ttl_seconds=600) as server:
            yield Setup(server, access, namespace, access.token(namespace, "ci"))
    finally:
        access.close()
        client.close()


def hook(namespace: str, *secrets: str, **fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        namespace=namespace,
        webhook_job=pb.WebhookJobConfig(
            url="https://hooks.example.com/deploy",
            secret_headers=[
                pb.SecretHeader(header=f"X-Token-{i}", secret_name=name, secret_key="token")
                for i, name in enumerate(secrets)
            ],
        ),
        **fields,
    )


def refusal(call: Any) -> JobSchedulerRpcError:
    with pytest.raises(JobSchedulerRpcError) as caught:
        call()
    return caught.value


def jobs_in(setup: Setup) -> list[str]:
    with setup.connect() as caller:
        listed = caller.list_jobs(pb.ListJobsRequest(namespace=setup.namespace)).jobs
        schedules = caller.list_schedules(pb.ListSchedulesRequest(namespace=setup.namespace))
    return [j.job_id for j in listed] + [s.job_id for s in schedules.schedules]


def test_a_secret_the_caller_may_get_is_accepted_one_they_may_not_is_refused(
    setup: Setup,
) -> None:
    with setup.connect() as caller:
        accepted = caller.schedule_job(hook(setup.namespace, "readable"))
        error = refusal(
            lambda: caller.schedule_job(hook(setup.namespace, "readable", "unreadable"))
        )
    assert error.code is grpc.StatusCode.PERMISSION_DENIED
    assert 'get secrets "unreadable"' in error.message
    assert repr(setup.namespace) in error.message
    assert jobs_in(setup) == [accepted.job_id]  # nothing half-created


def test_the_refusal_is_the_same_whether_the_secret_exists(setup: Setup) -> None:
    with setup.connect() as caller:
        exists = refusal(lambda: caller.schedule_job(hook(setup.namespace, "unreadable")))
        missing = refusal(lambda: caller.schedule_job(hook(setup.namespace, "no-such-secret")))
    assert (exists.code, missing.code) == (grpc.StatusCode.PERMISSION_DENIED,) * 2
    assert exists.message.replace("unreadable", "X") == missing.message.replace(
        "no-such-secret", "X"
    )


def test_a_schedule_reading_a_secret_needs_get_on_it_too(setup: Setup) -> None:
    every_minute = pb.Schedule(cron="* * * * *")
    with setup.connect() as caller:
        caller.schedule_job(hook(setup.namespace, "readable", schedule=every_minute))
        error = refusal(
            lambda: caller.schedule_job(hook(setup.namespace, "unreadable", schedule=every_minute))
        )
    assert error.code is grpc.StatusCode.PERMISSION_DENIED


def test_one_batch_item_reading_an_unreadable_secret_refuses_the_batch(setup: Setup) -> None:
    with setup.connect() as caller:
        error = refusal(
            lambda: caller.schedule_jobs(
                [hook(setup.namespace, "readable"), hook(setup.namespace, "unreadable")]
            )
        )
    assert error.code is grpc.StatusCode.PERMISSION_DENIED
    assert 'get secrets "unreadable"' in error.message
    assert jobs_in(setup) == []


def test_an_invalid_secret_name_is_a_field_violation_not_a_review(setup: Setup) -> None:
    with setup.connect() as caller:
        error = refusal(lambda: caller.schedule_job(hook(setup.namespace, "Bad_Name")))
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["webhook_job.secret_headers[0].secret_name"]


def test_a_secret_refusal_is_audited(setup: Setup, server_log: io.StringIO) -> None:
    with setup.connect() as caller:
        refusal(lambda: caller.schedule_job(hook(setup.namespace, "unreadable")))
    lines = [json.loads(line) for line in server_log.getvalue().splitlines() if "audit" in line]
    denials = [line for line in lines if line.get("event") == "audit"]
    assert [(a["rpc"], a["decision"], a["code"], a["namespace"]) for a in denials] == [
        ("ScheduleJob", "deny", "PERMISSION_DENIED", setup.namespace)
    ]
    assert "unreadable" in denials[0]["reason"]
    assert setup.token not in server_log.getvalue()


def test_no_role_the_service_ships_grants_it_secrets() -> None:
    """The pod reads the Secret, never the service: none of its own RBAC names secrets."""
    docs = [
        doc
        for path in sorted(K8S.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict) and doc.get("kind") in ("Role", "ClusterRole")
    ]
    service_roles = [
        doc
        for doc in docs
        if (doc["metadata"].get("labels") or {}).get("app.kubernetes.io/component")
        != "example-caller"
    ]
    assert len(service_roles) >= 3  # the namespace Role, the reviews, the multi-namespace one
    for doc in service_roles:
        for granted in doc.get("rules") or []:
            resources = set(granted.get("resources") or ())
            assert not resources & {"secrets", "*"}, doc["metadata"]["name"]


def _readme_caller_rbac() -> list[dict[str, Any]]:
    text = (K8S.parent / "README.md").read_text()
    block = text.split("```yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n", 1)[1]
    block = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n" + block.split("```", 1)[0]
    return [doc for doc in yaml.safe_load_all(block) if doc]


def test_the_readme_caller_role_grants_what_it_says(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", "hooks.example.com")
    access = ClusterAccess(cluster)
    client = cluster.api_client()
    try:
        namespace = access.namespace("team-a")
        access.account(namespace, "ci")
        role, binding = _readme_caller_rbac()
        for doc in (role, binding):
            doc["metadata"]["namespace"] = namespace  # team-a, made unique per run
        binding["subjects"][0]["namespace"] = namespace
        access.rbac.create_namespaced_role(namespace, role)
        access.rbac.create_namespaced_role_binding(namespace, binding)
        reviewer = KubeGateway(client, Settings(in_cluster=False))
        with (
            auth_server(cluster, reviewer) as server,
            JobSchedulerClient(
                f"127.0.0.1:{server.port}", timeout=20, token=access.token(namespace, "ci")
            ) as caller,
        ):
            job_id = caller.schedule_job(hook(namespace, "deploy-hook")).job_id
            assert caller.get_job_status(job_id, namespace).job_info.job_id == job_id
            error = refusal(lambda: caller.schedule_job(hook(namespace, "another-secret")))
            assert error.code is grpc.StatusCode.PERMISSION_DENIED
    finally:
        access.close()
        client.close()
