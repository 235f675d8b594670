"""Access to templates is Kubernetes access to their ConfigMaps; scheduling from one is also
checked as the request it resolves to (the kind it creates, the image policy)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server
from tests.auth.conftest import auth_server
from tests.auth.rbac import ADMIN_VERBS, FakeReviewer, Grant

from .support import body, from_template

NS = "default"
USERS = {
    "tok-admin": "admin",
    "tok-reader": "reader",  # may read templates and create Jobs, not CronJobs
    "tok-jobs-only": "jobs-only",  # may create Jobs, not read templates
}
GRANTS = [
    Grant("admin", "*", ADMIN_VERBS, ("jobs", "cronjobs", "configmaps")),
    Grant("reader", NS, ("get", "list"), ("configmaps",)),
    Grant("reader", NS, ("create", "get"), ("jobs",)),
    Grant("jobs-only", NS, ("create", "get"), ("jobs",)),
]


def _container(name: str, image: str = "busybox", **extra: Any) -> pb.JobTemplate:
    tree = {"container_job": {"image": image, "args": ["{{word}}"]}, **extra}
    return pb.JobTemplate(
        name=name, body=body(tree), parameters=[pb.TemplateParameter(name="word")]
    )


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    reviewer = FakeReviewer(grants=list(GRANTS))
    for token, user in USERS.items():
        reviewer.add_user(token, user)
    with auth_server(cluster, reviewer, image_allowlist=["docker.io"]) as srv:
        yield srv


def _as(server: Server, token: str) -> JobSchedulerClient:
    return JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20, token=token)


def _code(call: Any) -> grpc.StatusCode:
    try:
        call()
    except JobSchedulerRpcError as error:
        return error.code
    return grpc.StatusCode.OK


def test_template_rpcs_need_configmap_verbs(server: Server) -> None:
    with _as(server, "tok-admin") as admin, _as(server, "tok-reader") as reader:
        admin.create_job_template(_container("echo"))
        assert reader.get_job_template("echo").name == "echo"
        assert [t.name for t in reader.list_job_templates().templates] == ["echo"]
        denied = grpc.StatusCode.PERMISSION_DENIED
        assert _code(lambda: reader.create_job_template(_container("mine"))) is denied
        assert _code(lambda: reader.delete_job_template("echo")) is denied
    with _as(server, "tok-jobs-only") as jobs_only:
        assert _code(lambda: jobs_only.get_job_template("echo")) is denied
        assert _code(jobs_only.list_job_templates) is denied


def test_scheduling_from_a_template_needs_get_on_it(server: Server) -> None:
    with _as(server, "tok-admin") as admin:
        admin.create_job_template(_container("echo"))
    with _as(server, "tok-jobs-only") as jobs_only:
        with pytest.raises(JobSchedulerRpcError) as refused:
            jobs_only.schedule_job(from_template("echo", word="hi"))
        assert refused.value.code is grpc.StatusCode.PERMISSION_DENIED
        assert "configmaps" in refused.value.message
    with _as(server, "tok-reader") as reader:
        reply = reader.schedule_job(from_template("echo", word="hi"))
        assert reply.job_info.created_by == "reader"
        assert reply.job_info.template_name == "echo"


def test_the_resolved_request_is_authorized_for_the_kind_it_creates(server: Server) -> None:
    with _as(server, "tok-admin") as admin:
        admin.create_job_template(_container("nightly", schedule={"cron": "0 2 * * *"}))
    with _as(server, "tok-reader") as reader:
        with pytest.raises(JobSchedulerRpcError) as refused:
            reader.schedule_job(from_template("nightly", word="hi"))
        assert refused.value.code is grpc.StatusCode.PERMISSION_DENIED
        assert "cronjobs" in refused.value.message
        batch = reader.schedule_jobs([from_template("nightly", word="hi")])
        assert isinstance(batch[0], JobSchedulerRpcError)
        assert batch[0].code is grpc.StatusCode.PERMISSION_DENIED


def test_the_image_policy_applies_to_the_template_s_image(server: Server) -> None:
    with _as(server, "tok-admin") as admin:
        admin.create_job_template(_container("elsewhere", image="ghcr.io/evil/tool"))
        with pytest.raises(JobSchedulerRpcError) as refused:
            admin.schedule_job(from_template("elsewhere", word="hi"))
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        (violation,) = refused.value.violations
        assert violation.field == "template"
        assert "container_job.image" in violation.description
        assert "allowlist" in violation.description
