"""The dashboard with AUTH_MODE=kubernetes, against the cluster's own TokenReview and RBAC:
every /api/ read is admitted as the RPC it mirrors, static files need no credentials."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.dashboard import DashboardServer
from jobscheduler.edge.auth.setup import build_access
from jobscheduler.edge.server import Server
from jobscheduler.kube import KubeGateway
from jobscheduler.service import JobService, build_service
from tests.auth.conftest import server_log  # noqa: F401  (the server's log lines, captured)
from tests.auth.kubeaccess import ClusterAccess, rule

from .browser import Browser, chromium_binary


@dataclass
class Tenancy:
    url: str
    mine: str  # the server's default namespace, where "ci" may read jobs and their logs/events
    theirs: str  # where "ci" may do nothing
    ci: str  # tokens
    jobs_only: str  # may read jobs in "mine", not their events
    no_schedules: str  # may read jobs and events in "mine", not schedules (cronjobs)
    job_mine: str
    job_theirs: str


def _timer(service: JobService, namespace: str) -> str:
    request = pb.ScheduleJobRequest(
        namespace=namespace, timer_job=pb.TimerJobConfig(duration_seconds=600)
    )
    return service.schedule_job(request).job_id


@pytest.fixture
def tenancy(cluster: Any) -> Iterator[Tenancy]:
    access = ClusterAccess(cluster)
    client = cluster.api_client()
    reviews = cluster.api_client()
    try:
        mine, theirs = access.namespace("jsdash-mine"), access.namespace("jsdash-theirs")
        for account in ("ci", "jobs-only", "no-schedules"):
            access.account(mine, account)
        access.grant(
            mine,
            (mine, "ci"),
            [
                rule(["get", "list", "watch"], ["jobs", "cronjobs"]),
                rule(["get"], ["pods/log"], ""),
                rule(["list"], ["events"], ""),
            ],
        )
        access.grant(mine, (mine, "jobs-only"), [rule(["get", "list", "watch"], ["jobs"])])
        access.grant(
            mine,
            (mine, "no-schedules"),
            [rule(["get", "list"], ["jobs"]), rule(["list"], ["events"], "")],
        )
        settings = Settings(
            in_cluster=False, grpc_host="127.0.0.1", k8s_namespace=mine, auth_mode="kubernetes"
        )
        service = build_service(settings, clock=cluster.clock, api_client=client)
        access_control = build_access(settings, KubeGateway(reviews, settings))
        server = Server(service, host="127.0.0.1", port=0, metrics_port=None, access=access_control)
        server.start()
        dashboard = DashboardServer(
            service, "127.0.0.1", 0, clock=cluster.clock.now, gate=server.guard
        )
        dashboard.start()
        try:
            yield Tenancy(
                url=f"http://127.0.0.1:{dashboard.port}",
                mine=mine,
                theirs=theirs,
                ci=access.token(mine, "ci"),
                jobs_only=access.token(mine, "jobs-only"),
                no_schedules=access.token(mine, "no-schedules"),
                job_mine=_timer(service, mine),
                job_theirs=_timer(service, theirs),
            )
        finally:
            dashboard.stop()
            server.stop(grace=0)
    finally:
        access.close()
        client.close()
        reviews.close()


def get(url: str, authorization: str | None = None) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": authorization} if authorization else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            body = r.read() if not r.headers["Content-Type"].startswith("text/event") else b""
            status, answer = r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as error:
        status, answer, body = (
            error.code,
            {k.lower(): v for k, v in error.headers.items()},
            error.read(),
        )
    content = json.loads(body) if answer.get("content-type") == "application/json" else body
    return status, answer, content


def bearer(token: str) -> str:
    return f"Bearer {token}"


def api_paths(t: Tenancy, namespace: str, job_id: str) -> list[str]:
    one = f"/api/jobs/{namespace}/{job_id}"
    return [
        f"/api/jobs?namespace={namespace}",
        f"/api/schedules?namespace={namespace}",
        one,
        one + "/events",
        one + "/logs",
    ]


def test_static_files_need_no_credentials(tenancy: Tenancy) -> None:
    for path in ("/", "/job", "/schedules", "/static/common.js", "/static/app.css"):
        assert get(tenancy.url + path)[0] == 200, path


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic Y2k6cHc=", "Bearer "])
def test_api_without_a_valid_token_is_401(tenancy: Tenancy, authorization: str | None) -> None:
    paths = [*api_paths(tenancy, tenancy.mine, tenancy.job_mine), "/api/job-types"]
    paths += ["/api/watch", f"/api/jobs/{tenancy.mine}/{tenancy.job_mine}/watch"]
    paths.append("/api/jobs?state=NOT-A-STATE")  # credentials before the filter's 400
    for path in paths:
        status, headers, body = get(tenancy.url + path, authorization)
        assert (status, body["code"]) == (401, "UNAUTHENTICATED"), path
        assert headers["www-authenticate"].startswith("Bearer"), path


def test_a_good_token_reads_its_namespace(tenancy: Tenancy) -> None:
    ci = bearer(tenancy.ci)
    status, _, page = get(f"{tenancy.url}/api/jobs", ci)  # the server's default namespace
    assert status == 200 and [j["job_id"] for j in page["jobs"]] == [tenancy.job_mine]
    for path in api_paths(tenancy, tenancy.mine, tenancy.job_mine):
        assert get(tenancy.url + path, ci)[0] == 200, path
    status, _, job = get(f"{tenancy.url}/api/jobs/{tenancy.mine}/{tenancy.job_mine}", ci)
    assert job["job_info"]["job_id"] == tenancy.job_mine
    assert get(tenancy.url + "/api/job-types", ci)[0] == 200  # authentication only


def test_a_live_stream_opens_with_the_header(tenancy: Tenancy) -> None:
    request = urllib.request.Request(
        f"{tenancy.url}/api/watch?namespace={tenancy.mine}",
        headers={"Authorization": bearer(tenancy.ci)},
    )
    with urllib.request.urlopen(request, timeout=30) as stream:
        assert stream.status == 200 and stream.readline() == b"retry: 3000\n"


def test_another_namespace_is_refused_as_the_rpc_would_be(tenancy: Tenancy) -> None:
    ci = bearer(tenancy.ci)
    for path, code in [
        (f"/api/jobs?namespace={tenancy.theirs}", 403),
        (f"/api/watch?namespace={tenancy.theirs}", 403),
        (f"/api/schedules?namespace={tenancy.theirs}", 403),
        # One job: not found, exactly as for a job that does not exist (nothing leaks).
        (f"/api/jobs/{tenancy.theirs}/{tenancy.job_theirs}", 404),
        (f"/api/jobs/{tenancy.theirs}/{tenancy.job_theirs}/events", 404),
        (f"/api/jobs/{tenancy.theirs}/{tenancy.job_theirs}/logs", 404),
        (f"/api/jobs/{tenancy.theirs}/{tenancy.job_theirs}/watch", 404),
    ]:
        status, _, body = get(tenancy.url + path, ci)
        assert status == code, path
        assert tenancy.theirs in body["message"], path
        assert tenancy.job_theirs not in json.dumps(body) or code == 404, path
    status, _, body = get(f"{tenancy.url}/api/jobs?namespace={tenancy.theirs}", ci)
    assert "list jobs.batch" in body["message"]


def test_events_need_list_events_and_logs_get_pods_log(tenancy: Tenancy) -> None:
    jobs_only = bearer(tenancy.jobs_only)
    one = f"{tenancy.url}/api/jobs/{tenancy.mine}/{tenancy.job_mine}"
    assert get(one, jobs_only)[0] == 200
    status, _, body = get(one + "/events", jobs_only)
    assert status == 403 and "list events" in body["message"]
    assert get(one + "/logs", jobs_only)[0] == 404  # as GetJobLogs without get pods/log


def test_a_schedules_events_need_get_on_cronjobs(tenancy: Tenancy, cluster: Any) -> None:
    client = cluster.api_client()
    try:
        service = build_service(
            Settings(in_cluster=False, k8s_namespace=tenancy.mine),
            clock=cluster.clock,
            api_client=client,
        )
        schedule = service.schedule_job(
            pb.ScheduleJobRequest(
                timer_job=pb.TimerJobConfig(duration_seconds=5),
                schedule=pb.Schedule(cron="0 2 * * *"),
            )
        ).job_id
    finally:
        client.close()
    one = f"{tenancy.url}/api/jobs/{tenancy.mine}"
    no_schedules = bearer(tenancy.no_schedules)
    assert get(f"{one}/{tenancy.job_mine}/events", no_schedules)[0] == 200
    assert get(f"{one}/{schedule}/events", no_schedules)[0] == 404  # as GetJobStatus answers
    assert get(f"{one}/{schedule}/events", bearer(tenancy.ci))[0] == 200


def test_dashboard_refusals_are_audited_without_tokens(
    tenancy: Tenancy,
    server_log: io.StringIO,  # noqa: F811
) -> None:
    get(f"{tenancy.url}/api/jobs?namespace={tenancy.theirs}", bearer(tenancy.ci))
    get(f"{tenancy.url}/api/jobs", "Bearer not-a-token")
    lines = [json.loads(line) for line in server_log.getvalue().splitlines() if "audit" in line]
    denials = [(a["rpc"], a["code"], a["namespace"]) for a in lines if a["event"] == "audit"]
    assert denials == [
        ("ListJobs", "PERMISSION_DENIED", tenancy.theirs),
        ("GET /api/jobs", "UNAUTHENTICATED", ""),
    ]
    assert tenancy.ci not in server_log.getvalue()


def test_a_token_typed_into_the_form_signs_the_page_in(tenancy: Tenancy) -> None:
    browser = Browser(chromium_binary())
    try:
        browser.goto(tenancy.url + "/")
        browser.wait_for("document.getElementById('signin-token') !== null", "the sign-in form")
        assert browser.evaluate("document.querySelectorAll('#jobs tbody tr').length") == 0
        browser.evaluate(
            f"document.getElementById('signin-token').value = {json.dumps(tenancy.ci)};"
            # Submitted after this evaluation returns: the page reloads signed in.
            "setTimeout(() => document.getElementById('signin').requestSubmit(), 0)"
        )
        browser.wait_for(
            f"document.querySelector('tr[data-job={json.dumps(tenancy.job_mine)}]') !== null",
            "the caller's job listed",
        )
        browser.wait_for("document.getElementById('live').textContent === 'live'", "live")
        assert tenancy.ci not in browser.evaluate("location.href + document.cookie")
        assert browser.evaluate("sessionStorage.getItem('jobscheduler.token')") == tenancy.ci
        browser.evaluate("setTimeout(() => document.getElementById('signout').click(), 0)")
        browser.wait_for("document.getElementById('signin-token') !== null", "signed out")
        assert browser.problems == []
    finally:
        browser.close()
