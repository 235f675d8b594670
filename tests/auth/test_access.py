"""Access control over the real gRPC server, the real service and an embedded cluster; the
cluster's reviews answered by an RBAC stand-in at the gateway seam (``rbac.FakeReviewer``).
The same matrix against the cluster's own RBAC is ``test_cluster_rbac.py``."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import kubernetes.client
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from kubernetes.client.exceptions import ApiException

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.auth.rules import RULES, RerunRule, Rule
from jobscheduler.edge.server import Server

from .conftest import auth_server
from .rbac import ADMIN_VERBS, FakeReviewer, Grant

NAMESPACES = ("team-a", "team-b", "team-c")
SA = "system:serviceaccount:team-a:ci"
ALL = ("jobs", "cronjobs", "pods/log")
USERS = {  # token -> (user, groups)
    "tok-sa": (SA, ("system:serviceaccounts", "system:serviceaccounts:team-a")),
    "tok-alice": ("alice", ("developers",)),
    "tok-bob": ("bob", ("auditors",)),
}
GRANTS = [
    Grant(SA, "team-a", ("create", "get", "list", "watch"), ("jobs", "pods/log")),
    Grant("alice", "team-b", ADMIN_VERBS, ALL),  # a namespaced Role
    Grant("alice", "team-c", ("get", "list"), ("jobs",)),
    Grant("auditors", "*", ("get", "list", "watch"), ALL),  # a ClusterRole, by group
    Grant("admin", "*", ADMIN_VERBS, ALL),
]


def _timer(job_id: str = "", namespace: str = "", duration: int = 600) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        job_id=job_id,
        namespace=namespace,
        name="t",
        timer_job=pb.TimerJobConfig(duration_seconds=duration, timer_name="t"),
    )


@pytest.fixture
def reviewer() -> FakeReviewer:
    fake = FakeReviewer(grants=list(GRANTS))
    for token, (user, groups) in USERS.items():
        fake.add_user(token, user, groups)
    fake.add_user("tok-admin", "admin")
    fake.add_user("tok-other-audience", "alice", audiences=["https://vault"])
    return fake


def _namespaces(cluster: Any) -> None:
    for namespace in NAMESPACES:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        cluster.api.create("namespaces", None, body)


@pytest.fixture
def server(cluster: Any, reviewer: FakeReviewer) -> Iterator[Server]:
    _namespaces(cluster)
    with auth_server(cluster, reviewer, auth_cache_ttl_seconds=600, rate_limit_burst=5000) as srv:
        yield srv


def connect(server: Server, token: str | None) -> JobSchedulerClient:
    return JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20, token=token)


@pytest.fixture
def admin(server: Server) -> Iterator[JobSchedulerClient]:
    with connect(server, "tok-admin") as client:
        yield client


def _code(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        result = call()
        if isinstance(result, Iterator):
            next(iter(result), None)
            close = getattr(result, "close", None)
            if close:
                close()
    except JobSchedulerRpcError as error:
        return error.code
    return grpc.StatusCode.OK


# ---- authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Bearer not-a-token"),),
        (("authorization", "Basic YWxpY2U6cHc="),),
        (("authorization", "Bearer "),),
        (("authorization", "Bearer " + "x" * 7000),),
        (("authorization", "Bearer tok-other-audience"),),
    ],
    ids=["none", "unknown", "basic", "empty", "huge", "wrong-audience"],
)
def test_missing_or_rejected_credentials_are_unauthenticated(
    server: Server, metadata: tuple[tuple[str, str], ...]
) -> None:
    with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20, metadata=metadata) as c:
        for call in (c.list_job_types, lambda: c.get_job_status("job-x"), c.list_jobs):
            assert _code(call) is grpc.StatusCode.UNAUTHENTICATED


def test_audiences_are_sent_and_required(cluster: Any, reviewer: FakeReviewer) -> None:
    with (
        auth_server(cluster, reviewer, auth_token_audiences=["https://vault"]) as srv,
        connect(srv, "tok-other-audience") as vault_caller,
        connect(srv, "tok-alice") as api_caller,
    ):
        assert _code(vault_caller.list_job_types) is grpc.StatusCode.OK
        assert _code(api_caller.list_job_types) is grpc.StatusCode.UNAUTHENTICATED


def _reflected_services(server: Server, token: str | None) -> list[str]:
    """The services server reflection lists, asked with ``token`` (None: no credentials)."""
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        ask = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = stub.ServerReflectionInfo(iter([ask]), metadata=metadata, timeout=20)
    return [service.name for service in answer.list_services_response.service]


def test_health_and_reflection_need_no_credentials(server: Server) -> None:
    with connect(server, None) as client:
        assert client.health() == 1  # SERVING
    assert "jobscheduler.JobScheduler" in _reflected_services(server, None)


@pytest.mark.parametrize("exempt", ["health", "reflection", "neither"])
def test_health_and_reflection_not_exempt_need_credentials(
    cluster: Any, reviewer: FakeReviewer, exempt: str
) -> None:
    settings = {
        "auth_exempt_health": exempt == "health",
        "auth_exempt_reflection": exempt == "reflection",
    }
    with auth_server(cluster, reviewer, **settings) as srv:
        with connect(srv, None) as anonymous:
            health_code = _code(anonymous.health)
        try:
            _reflected_services(srv, None)
            reflection_code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            reflection_code = error.code()
        # Any authenticated caller may probe, whatever its RBAC rights (alice has none here).
        with connect(srv, "tok-alice") as alice:
            assert alice.health() == 1  # SERVING
        assert "jobscheduler.JobScheduler" in _reflected_services(srv, "tok-alice")
        with connect(srv, "tok-unknown") as stranger:
            stranger_code = _code(stranger.health)
    expected = {True: grpc.StatusCode.OK, False: grpc.StatusCode.UNAUTHENTICATED}
    assert (health_code, stranger_code, reflection_code) == (
        expected[exempt == "health"],
        expected[exempt == "health"],  # a token the cluster rejects is no credential either
        expected[exempt == "reflection"],
    )


# ---- the matrix: every RPC x user x namespace matches RBAC -----------------------------


def _matrix_calls(
    client: JobSchedulerClient, admin: JobSchedulerClient, namespace: str, probe: str, n: int
) -> dict[str, Callable[[], object]]:
    def fresh() -> str:
        return admin.schedule_job(_timer(namespace=namespace)).job_id

    return {
        "ScheduleJob": lambda: client.schedule_job(_timer(namespace=namespace)),
        "ScheduleJobs": lambda: client.schedule_jobs([_timer(namespace=namespace)] * 2),
        "GetJobStatus": lambda: client.get_job_status(probe, namespace),
        "RerunJob": lambda: client.rerun_job(probe, namespace),
        "ListJobs": lambda: client.list_jobs(pb.ListJobsRequest(namespace=namespace)),
        "ListSchedules": lambda: client.list_schedules(
            pb.ListSchedulesRequest(namespace=namespace)
        ),
        "WatchJob": lambda: client.watch_job(probe, namespace),
        "WatchJobs": lambda: client.watch_jobs(pb.WatchJobsRequest(namespace=namespace)),
        "GetJobLogs": lambda: client.get_job_logs(probe, namespace),
        "SuspendJob": lambda: client.suspend_job(probe, namespace),
        "ResumeJob": lambda: client.resume_job(probe, namespace),
        "CancelJob": lambda: client.cancel_job(fresh(), namespace),
        "DeleteJob": lambda: client.delete_job(fresh(), namespace),
        "ListJobTypes": client.list_job_types,
        # Nobody in GRANTS has ConfigMap rights: each template RPC is refused (tests/templates
        # checks them with grants).
        "CreateJobTemplate": lambda: client.create_job_template(
            pb.JobTemplate(name=f"tpl-{n}"), namespace
        ),
        "GetJobTemplate": lambda: client.get_job_template("tpl", namespace),
        "ListJobTemplates": lambda: client.list_job_templates(
            pb.ListJobTemplatesRequest(namespace=namespace)
        ),
        "DeleteJobTemplate": lambda: client.delete_job_template("tpl", namespace),
    }


def test_every_rpc_for_every_user_and_namespace_matches_rbac(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    probes = {ns: admin.schedule_job(_timer(namespace=ns)).job_id for ns in NAMESPACES}
    checked = 0
    for token, (user, groups) in USERS.items():
        with connect(server, token) as client:
            for namespace in NAMESPACES:
                calls = _matrix_calls(client, admin, namespace, probes[namespace], checked)
                assert set(calls) == set(RULES), "every RPC is in the matrix"
                for rpc, call in calls.items():
                    rule = RULES[rpc]
                    permissions = needed_on_jobs(rule)

                    def allowed(
                        p: Any, user: str = user, groups: Any = groups, namespace: str = namespace
                    ) -> bool:
                        spec = {
                            "user": user,
                            "groups": list(groups),
                            "resourceAttributes": {
                                "namespace": namespace,
                                "verb": p.verb,
                                "resource": p.resource,
                                "subresource": p.subresource,
                            },
                        }
                        return reviewer.allowed(spec)

                    expected = all(allowed(p) for p in permissions)
                    code = _code(call)
                    refused = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}
                    assert (code not in refused) == expected, (user, namespace, rpc, code)
                    if not expected:
                        denial = rule_denial_code(rpc)
                        if isinstance(rule, RerunRule) and not allowed(permissions[-1]):
                            denial = grpc.StatusCode.NOT_FOUND  # the original is not revealed
                        assert code is denial, (user, namespace, rpc)
                    checked += 1
    assert checked == len(USERS) * len(NAMESPACES) * len(RULES)


def needed_on_jobs(rule: Rule) -> tuple[Any, ...]:
    """What the caller needs for this RPC when the objects are Jobs (as in the matrix)."""
    needed = rule.permissions[:1]
    if isinstance(rule, RerunRule):
        needed += rule.original.permissions[:1]  # and read the job it reruns
    return needed


def rule_denial_code(rpc: str) -> grpc.StatusCode:
    return grpc.StatusCode[RULES[rpc].denial.name]


# ---- tenancy ----------------------------------------------------------------------------


def test_a_job_in_a_namespace_the_caller_cannot_read_is_not_found(
    server: Server, admin: JobSchedulerClient
) -> None:
    job_id = admin.schedule_job(_timer(namespace="team-b")).job_id
    with connect(server, "tok-sa") as sa:
        with pytest.raises(JobSchedulerRpcError) as hidden:
            sa.get_job_status(job_id, "team-b")
        with pytest.raises(JobSchedulerRpcError) as missing:
            sa.get_job_status("job-nope", "team-a")
    assert hidden.value.code is missing.value.code is grpc.StatusCode.NOT_FOUND
    assert hidden.value.message == f"job {job_id!r} not found in namespace 'team-b'"


def test_a_denied_write_names_the_verb_and_namespace(server: Server) -> None:
    with connect(server, "tok-bob") as bob, pytest.raises(JobSchedulerRpcError) as denied:
        bob.schedule_job(_timer(namespace="team-a"))
    assert denied.value.code is grpc.StatusCode.PERMISSION_DENIED
    assert "'bob' may not create jobs.batch in namespace 'team-a'" in denied.value.message


def test_a_schedule_needs_rights_on_cronjobs_not_only_jobs(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    reviewer.grants.append(Grant("carol", "team-a", ADMIN_VERBS, ("jobs",)))
    reviewer.add_user("tok-carol", "carol")
    cron = _timer(namespace="team-a")
    cron.schedule.cron = "*/5 * * * *"
    schedule_id = admin.schedule_job(cron).job_id
    with connect(server, "tok-carol") as carol:
        with pytest.raises(JobSchedulerRpcError) as deleting:
            carol.delete_job(schedule_id, "team-a")
        with pytest.raises(JobSchedulerRpcError) as creating:
            carol.schedule_job(cron)
    assert deleting.value.code is grpc.StatusCode.NOT_FOUND
    assert creating.value.code is grpc.StatusCode.PERMISSION_DENIED
    assert "create cronjobs.batch" in creating.value.message
    assert admin.get_job_status(schedule_id, "team-a").job_info.k8s_kind == "CronJob"


def test_lists_and_watches_show_only_the_namespace_asked_for(
    server: Server, admin: JobSchedulerClient
) -> None:
    mine = admin.schedule_job(_timer(namespace="team-a")).job_id
    admin.schedule_job(_timer(namespace="team-b"))
    with connect(server, "tok-sa") as sa:
        listed = sa.list_jobs(pb.ListJobsRequest(namespace="team-a")).jobs
        assert {j.namespace for j in listed} == {"team-a"}
        assert mine in {j.job_id for j in listed}
        stream = sa.watch_jobs(pb.WatchJobsRequest(namespace="team-a"))
        first = next(iter(stream))
        stream.close()
        assert first.job.namespace == "team-a"
        assert _code(lambda: sa.list_jobs(pb.ListJobsRequest(namespace="team-b"))) is (
            grpc.StatusCode.PERMISSION_DENIED
        )


def test_a_page_token_works_only_for_the_caller_it_was_issued_to(
    server: Server, admin: JobSchedulerClient
) -> None:
    for _ in range(3):
        admin.schedule_job(_timer(namespace="team-a"))
    with connect(server, "tok-sa") as sa, connect(server, "tok-bob") as bob:
        first = sa.list_jobs(pb.ListJobsRequest(namespace="team-a", page_size=1))
        assert first.next_page_token
        second = sa.list_jobs(
            pb.ListJobsRequest(namespace="team-a", page_size=1, page_token=first.next_page_token)
        )
        assert second.jobs[0].job_id != first.jobs[0].job_id
        with pytest.raises(JobSchedulerRpcError) as replayed:
            bob.list_jobs(
                pb.ListJobsRequest(
                    namespace="team-a", page_size=1, page_token=first.next_page_token
                )
            )
    assert replayed.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert replayed.value.violations[0].field == "page_token"


def test_all_namespaces_lists_need_the_verb_cluster_wide(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    in_a = admin.schedule_job(_timer(namespace="team-a")).job_id
    in_b = admin.schedule_job(_timer(namespace="team-b")).job_id
    everywhere = pb.ListJobsRequest(all_namespaces=True)
    # Listing in the server's default namespace is no right to list in all of them.
    reviewer.grants.append(Grant("erin", "default", ("list",), ("jobs", "cronjobs")))
    reviewer.add_user("tok-erin", "erin")
    with connect(server, "tok-erin") as erin, pytest.raises(JobSchedulerRpcError) as narrow:
        erin.list_jobs(everywhere)
    assert narrow.value.code is grpc.StatusCode.PERMISSION_DENIED
    with connect(server, "tok-bob") as bob, connect(server, "tok-alice") as alice:
        listed = {j.job_id for j in bob.list_jobs(everywhere).jobs}  # a ClusterRole: allowed
        assert {in_a, in_b} <= listed
        # Roles in team-b and team-c only: no cluster-wide list, so no list across namespaces.
        with pytest.raises(JobSchedulerRpcError) as jobs_refused:
            alice.list_jobs(everywhere)
        with pytest.raises(JobSchedulerRpcError) as schedules_refused:
            alice.list_schedules(pb.ListSchedulesRequest(all_namespaces=True))
    for refused in (jobs_refused.value, schedules_refused.value):
        assert refused.code is grpc.StatusCode.PERMISSION_DENIED
        assert "'alice' may not list" in refused.message
        assert "in all namespaces" in refused.message


def test_watching_all_namespaces_needs_watch_cluster_wide(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    in_a = admin.schedule_job(_timer(namespace="team-a")).job_id
    in_b = admin.schedule_job(_timer(namespace="team-b")).job_id
    everywhere = pb.WatchJobsRequest(all_namespaces=True)
    # Watching in the default namespace, or listing cluster-wide, is no right to watch all.
    reviewer.grants.append(Grant("erin", "default", ("watch",), ("jobs",)))
    reviewer.grants.append(Grant("erin", "*", ("list",), ("jobs",)))
    reviewer.add_user("tok-erin", "erin")
    with connect(server, "tok-erin") as erin:
        assert _code(lambda: erin.watch_jobs(everywhere)) is grpc.StatusCode.PERMISSION_DENIED
    with connect(server, "tok-alice") as alice, pytest.raises(JobSchedulerRpcError) as refused:
        next(iter(alice.watch_jobs(everywhere)))  # watch in team-b only: a Role, not cluster-wide
    assert refused.value.code is grpc.StatusCode.PERMISSION_DENIED
    assert "'alice' may not watch jobs.batch in all namespaces" in refused.value.message
    with connect(server, "tok-bob") as bob:  # a ClusterRole with watch: allowed
        stream = bob.watch_jobs(everywhere)
        seen: dict[str, str] = {}
        for event in stream:
            seen[event.job.job_id] = event.job.namespace
            if {in_a, in_b} <= set(seen):
                break
        stream.close()
    assert (seen[in_a], seen[in_b]) == ("team-a", "team-b")


def test_a_rerun_needs_to_read_the_original_and_is_created_by_the_caller(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    original = admin.schedule_job(_timer(namespace="team-a")).job_id
    reviewer.grants.append(Grant("dave", "team-a", ("create",), ("jobs",)))
    reviewer.add_user("tok-dave", "dave")
    with connect(server, "tok-sa") as sa, connect(server, "tok-dave") as dave:
        rerun = sa.rerun_job(original, "team-a")
        assert rerun.rerun_of == original
        assert rerun.job_info.created_by == SA  # who reran it, not who scheduled the original
        with pytest.raises(JobSchedulerRpcError) as blind:
            dave.rerun_job(original, "team-a")  # may create jobs, may not read this one
    assert blind.value.code is grpc.StatusCode.NOT_FOUND
    assert blind.value.message == f"job {original!r} not found in namespace 'team-a'"


# ---- identity -----------------------------------------------------------------------------


def test_created_by_is_the_caller_and_cannot_be_spoofed(server: Server) -> None:
    with connect(server, "tok-sa") as sa:
        reply = sa.schedule_job(_timer(namespace="team-a"))
        assert reply.job_info.created_by == SA
        assert sa.get_job_status(reply.job_id, "team-a").job_info.created_by == SA
        spoof = _timer(namespace="team-a")
        spoof.created_by = "alice"
        with pytest.raises(JobSchedulerRpcError) as refused:
            sa.schedule_job(spoof)
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.violations[0].field == "created_by"
        by_me = sa.list_jobs(pb.ListJobsRequest(namespace="team-a", created_by=SA)).jobs
        assert [j.job_id for j in by_me] == [reply.job_id]
        by_other = sa.list_jobs(pb.ListJobsRequest(namespace="team-a", created_by="alice"))
        assert list(by_other.jobs) == []


def _audit_lines(log: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "audit"]


def test_mutations_and_denials_are_audited_without_tokens(
    server: Server, server_log: io.StringIO, reviewer: FakeReviewer
) -> None:
    with connect(server, "tok-alice") as alice:
        job_id = alice.schedule_job(_timer(namespace="team-b")).job_id
        alice.cancel_job(job_id, "team-b")
        _code(lambda: alice.schedule_job(_timer(namespace="team-a")))
        alice.list_jobs(pb.ListJobsRequest(namespace="team-b"))  # a read: not audited
    with connect(server, "Bearer-ish-secret-token"):
        pass
    with connect(server, "secret-token-value") as stranger:
        _code(stranger.list_job_types)
    lines = _audit_lines(server_log)
    summary = [(a["rpc"], a["decision"], a["code"], a["namespace"]) for a in lines]
    assert summary == [
        ("ScheduleJob", "allow", "OK", "team-b"),
        ("CancelJob", "allow", "OK", "team-b"),
        ("ScheduleJob", "deny", "PERMISSION_DENIED", "team-a"),
        ("ListJobTypes", "deny", "UNAUTHENTICATED", ""),
    ]
    first = lines[0]
    assert first["user"] == "alice" and first["groups"] == ["developers"]
    assert first["job_id"] == job_id and first["request_id"].startswith("req-")
    assert first["source"].startswith("ipv") and "timestamp" in first
    assert lines[1]["job_id"] == job_id
    for token in ("tok-alice", "secret-token-value", *reviewer.seen_tokens):
        assert token not in server_log.getvalue()


# ---- abuse limits -------------------------------------------------------------------------


def test_a_caller_over_its_rate_is_resource_exhausted_with_retry_info(
    cluster: Any, reviewer: FakeReviewer
) -> None:
    with (
        auth_server(cluster, reviewer, rate_limit_per_second=0.01, rate_limit_burst=2) as srv,
        connect(srv, "tok-bob") as bob,
        connect(srv, "tok-alice") as alice,
    ):
        bob.list_job_types()
        bob.list_job_types()
        with pytest.raises(grpc.RpcError) as limited:
            bob._stub.ListJobTypes(pb.ListJobTypesRequest(), metadata=bob._metadata, timeout=10)
        alice.list_job_types()  # another caller has its own bucket
    error: Any = limited.value
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    raw = dict(error.trailing_metadata())["grpc-status-details-bin"]
    details = status_pb2.Status.FromString(raw).details
    retry = error_details_pb2.RetryInfo()
    assert details[0].Unpack(retry)
    assert retry.retry_delay.seconds >= 1


def test_open_streams_per_caller_are_capped(cluster: Any, reviewer: FakeReviewer) -> None:
    with (
        auth_server(cluster, reviewer, max_streams_per_caller=1) as srv,
        connect(srv, "tok-bob") as bob,
        connect(srv, "tok-admin") as admin,
    ):
        _namespaces(cluster)
        admin.schedule_job(_timer(namespace="team-a"))
        request = pb.WatchJobsRequest(namespace="team-a")
        first = bob.watch_jobs(request)
        next(iter(first))  # open on the server
        assert _code(lambda: bob.watch_jobs(request)) is grpc.StatusCode.RESOURCE_EXHAUSTED
        first.close()
        # The slot comes back once the first stream has ended on the server, which notices a
        # closed stream within its 0.5 s poll: wait for that by time, not by a count of retries
        # (200 quick refusals once took less than the poll).
        deadline = time.monotonic() + 10
        while _code(lambda: bob.watch_jobs(request)) is not grpc.StatusCode.OK:
            if time.monotonic() > deadline:
                pytest.fail("the stream slot was not released within 10 s")
            time.sleep(0.05)


def test_images_outside_the_allowlist_are_refused_naming_the_field(
    cluster: Any, reviewer: FakeReviewer
) -> None:
    allow = ["ghcr.io/acme", "docker.io/library/busybox"]
    _namespaces(cluster)
    with (
        auth_server(cluster, reviewer, image_allowlist=allow) as srv,
        connect(srv, "tok-alice") as alice,
    ):
        for image, ok in (
            ("busybox:1.36", True),
            ("docker.io/library/busybox", True),
            ("ghcr.io/acme/tool:v1", True),
            ("ghcr.io/acme-evil/tool:v1", False),
            ("evil.io/library/busybox", False),
            ("alpine", False),
        ):
            request = pb.ScheduleJobRequest(
                namespace="team-b",
                container_job=pb.ContainerJobConfig(image=image, command=["true"]),
            )
            if ok:
                alice.schedule_job(request)
                continue
            with pytest.raises(JobSchedulerRpcError) as refused:
                alice.schedule_job(request)
            assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.violations[0].field == "container_job.image", image


def test_a_rerun_of_a_job_whose_image_is_no_longer_allowed_is_refused(
    cluster: Any, reviewer: FakeReviewer
) -> None:
    _namespaces(cluster)

    def container(image: str) -> pb.ScheduleJobRequest:
        config = pb.ContainerJobConfig(image=image, command=["true"])
        return pb.ScheduleJobRequest(namespace="team-b", container_job=config)

    with auth_server(cluster, reviewer) as before, connect(before, "tok-alice") as alice:
        # Scheduled before the allowlist existed (or named an image since removed from it).
        banned = alice.schedule_job(container("alpine:3.20")).job_id
        allowed = alice.schedule_job(container("busybox:1.36")).job_id
    allow = ["docker.io/library/busybox"]
    with (
        auth_server(cluster, reviewer, image_allowlist=allow) as srv,
        connect(srv, "tok-alice") as alice,
    ):
        jobs_before = {
            j.job_id for j in alice.list_jobs(pb.ListJobsRequest(namespace="team-b")).jobs
        }
        with pytest.raises(JobSchedulerRpcError) as refused:
            alice.rerun_job(banned, "team-b", new_job_id="banned-again")
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        (violation,) = refused.value.violations
        assert violation.field == "container_job.image"
        assert "docker.io/library/alpine is not in the image allowlist" in violation.description
        jobs_after = {
            j.job_id for j in alice.list_jobs(pb.ListJobsRequest(namespace="team-b")).jobs
        }
        assert jobs_after == jobs_before  # nothing created
        assert alice.rerun_job(allowed, "team-b").rerun_of == allowed


def test_a_warm_cache_costs_at_most_two_api_calls_per_thousand_rpcs(
    server: Server, admin: JobSchedulerClient, reviewer: FakeReviewer
) -> None:
    job_id = admin.schedule_job(_timer(namespace="team-a")).job_id
    with connect(server, "tok-bob") as bob:
        before = dict(reviewer.calls)
        for _ in range(1000):
            bob.get_job_status(job_id, "team-a")
    sent = sum(reviewer.calls.values()) - sum(before.values())
    # The admin's schedule warmed nothing for bob: one TokenReview and one SubjectAccessReview
    # per kind the id may name (jobs, cronjobs), then none while the answers are cached.
    assert sent == 3


def test_kept_logs_need_get_pods_log_as_live_ones_do(cluster: Any, reviewer: FakeReviewer) -> None:
    """Serving logs from the ConfigMap the service kept is no way around ``get pods/log``."""
    _namespaces(cluster)
    job_id, namespace = "kept-logs-probe", "team-c"
    request = pb.ScheduleJobRequest(
        job_id=job_id,
        namespace=namespace,
        name="kept",
        container_job=pb.ContainerJobConfig(image="busybox", command=["sh", "-c", "echo hello"]),
    )
    kube = cluster.api_client()
    core = kubernetes.client.CoreV1Api(kube)
    selector = f"batch.kubernetes.io/job-name={job_id}"
    # Finished jobs are kept by the cache's listener: the cache must hold the namespace.
    with (
        auth_server(cluster, reviewer, cache_namespaces=namespace) as server,
        connect(server, "tok-admin") as admin,
        connect(server, "tok-alice") as alice,  # get jobs in team-c, not pods/log
        connect(server, "tok-bob") as bob,  # pods/log everywhere, by group
    ):
        try:
            admin.schedule_job(request)
            _wait(lambda: _has_configmap(core, f"{job_id}.logs", namespace))
            for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
                core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)
            _wait(lambda: not core.list_namespaced_pod(namespace, label_selector=selector).items)
            chunks = list(admin.get_job_logs(job_id, namespace))
            assert [(c.text, c.kept) for c in chunks] == [("hello\n", True)]
            assert alice.get_job_status(job_id, namespace).job_id == job_id
            assert _code(lambda: alice.get_job_logs(job_id, namespace)) is grpc.StatusCode.NOT_FOUND
            assert [c.text for c in bob.get_job_logs(job_id, namespace)] == ["hello\n"]
        finally:
            kube.close()


def _has_configmap(core: Any, name: str, namespace: str) -> bool:
    try:
        core.read_namespaced_config_map(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _wait(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30  # a bound on a hang, not a timing assertion
    while not check():
        assert time.monotonic() < deadline, "the cluster never got there"
        time.sleep(0.05)
