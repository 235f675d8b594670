"""The health-check and webhook job types: validation, manifests, secrets and read-back."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import EgressSettings, Settings
from jobscheduler.jobtypes import BuildContext, HandlerRegistry
from jobscheduler.jobtypes.container import ContainerHandler
from jobscheduler.jobtypes.fieldtable import validate_request
from jobscheduler.jobtypes.healthcheck import HealthCheckHandler
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.timer import TimerHandler, TimerSettings
from jobscheduler.jobtypes.webhook import WebhookHandler
from jobscheduler.probe.runner import config_from_env as probe_config_from_env
from jobscheduler.webhook.runner import config_from_env as webhook_config_from_env

from .builders import container, pod_spec
from .test_manifest import FORBIDDEN_KEYS, KUBERNETES_VERSION, _walk

EGRESS = EgressSettings(allowed_hosts="*.example.com,status.example.org", allowed_cidrs="")
TIMER = TimerSettings(image="jobscheduler:0.1.0")
PROBE = HealthCheckHandler(EGRESS, TIMER)
WEBHOOK = WebhookHandler(EGRESS, TIMER)


def _registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    for handler in (TimerHandler(), ContainerHandler(), PROBE, WEBHOOK):
        registry.register(handler)
    registry.check_against_proto()
    return registry


REGISTRY = _registry()


def probe(**config: object) -> pb.ScheduleJobRequest:
    fields = {"target": "https://api.example.com/healthz"} | config
    return pb.ScheduleJobRequest(
        name="probe",
        health_check_job=pb.HealthCheckJobConfig(**fields),  # type: ignore[arg-type]
    )


def webhook(**config: object) -> pb.ScheduleJobRequest:
    fields = {"url": "https://hooks.example.com/build"} | config
    return pb.ScheduleJobRequest(
        name="hook",
        webhook_job=pb.WebhookJobConfig(**fields),  # type: ignore[arg-type]
    )


SECRET = pb.SecretHeader(
    header="Authorization", secret_name="hook-token", secret_key="token", value_prefix="Bearer "
)


def violations(req: pb.ScheduleJobRequest) -> dict[str, str]:
    return {v.field: v.description for v in validate_request(req, REGISTRY)}


def manifest(req: pb.ScheduleJobRequest) -> dict[str, object]:
    case = req.WhichOneof("job_config")
    handler = REGISTRY.by_request_field(case or "")
    assert handler is not None
    ctx = BuildContext(job_id="job-1", namespace="team-a", settings=Settings())
    return build_manifest(req, handler, ctx, request_hash="h")


REQUESTS = {
    "http probe": probe(
        http_method="HEAD",
        expected_status_codes=[200, 204],
        body_contains="",
        headers={"X-Check": "1"},
        timeout_seconds=3,
        attempts=3,
    ),
    "tcp probe": probe(target="tcp://db.example.com:5432"),
    "grpc probe schedule": pb.ScheduleJobRequest(
        health_check_job=pb.HealthCheckJobConfig(
            target="grpc://orders.example.com:50051", grpc_service="orders"
        ),
        schedule=pb.Schedule(cron="*/5 * * * *"),
    ),
    "webhook": webhook(method="PUT", body='{"a":1}', secret_headers=[SECRET], max_attempts=5),
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_valid_requests_pass_and_build_schema_valid_restricted_manifests(case: str) -> None:
    req = REQUESTS[case]
    assert violations(req) == {}
    built = manifest(req)
    kubernetes_validate.validate(built, KUBERNETES_VERSION, strict=True)
    assert {key for key, _ in _walk(built)}.isdisjoint(FORBIDDEN_KEYS)
    spec = pod_spec(built)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    job = container(built)
    assert job["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert job["terminationMessagePolicy"] == "File"
    assert job["image"] == "jobscheduler:0.1.0"


def test_the_probe_runner_reads_the_config_the_handler_ships() -> None:
    req = REQUESTS["http probe"]
    env = {item["name"]: item.get("value", "") for item in container(manifest(req))["env"]}
    assert container(manifest(req))["command"] == ["jobscheduler", "probe"]
    assert probe_config_from_env(env) == req.health_check_job
    assert env["EGRESS_ALLOWED_HOSTS"] == "*.example.com,status.example.org"
    assert env["TERMINATION_MESSAGE_PATH"] == "/dev/termination-log"


def test_secret_header_values_come_from_secret_key_refs_not_from_the_request() -> None:
    req = REQUESTS["webhook"]
    built = manifest(req)
    env = container(built)["env"]
    refs = [item for item in env if "valueFrom" in item]
    assert refs == [
        {
            "name": "WEBHOOK_SECRET_HEADER_0",
            "valueFrom": {"secretKeyRef": {"name": "hook-token", "key": "token"}},
        }
    ]
    config = webhook_config_from_env({item["name"]: item.get("value", "") for item in env})
    assert config.secret_headers[0].secret_name == "hook-token"
    assert config == req.webhook_job
    assert WEBHOOK.secrets_read(req.webhook_job, "team-a") == [("team-a", "hook-token")]
    assert PROBE.secrets_read(REQUESTS["http probe"].health_check_job, "team-a") == []
    details = WEBHOOK.read_details(built)
    assert list(details.secret_names) == ["hook-token"]
    assert (details.method, details.url) == ("PUT", "https://hooks.example.com/build")


def test_details_read_back() -> None:
    details = PROBE.read_details(manifest(REQUESTS["grpc probe schedule"]))
    assert (details.probe, details.target) == ("grpc", "grpc://orders.example.com:50051")


@pytest.mark.parametrize(
    ("req", "field", "text"),
    [
        (probe(target=""), "health_check_job.target", "required"),
        (probe(target="not a url"), "health_check_job.target", "spaces"),
        (probe(target="ftp://api.example.com/"), "health_check_job.target", "scheme"),
        (probe(target="https://evil.net/"), "health_check_job.target", "allowlist"),
        (probe(target="http://169.254.169.254/"), "health_check_job.target", "metadata"),
        (probe(target="http://2130706433/"), "health_check_job.target", "ambiguous"),
        (probe(target="tcp://db.example.com"), "health_check_job.target", "port"),
        (
            probe(expected_status_codes=[200, 700]),
            "health_check_job.expected_status_codes",
            "100..599",
        ),
        (probe(timeout_seconds=61), "health_check_job.timeout_seconds", "between 1 and 60"),
        (probe(timeout_seconds=-1), "health_check_job.timeout_seconds", "between 1 and 60"),
        (probe(attempts=11), "health_check_job.attempts", "between 1 and 10"),
        (probe(http_method="TRACE"), "health_check_job.http_method", "one of"),
        (
            probe(headers={"X-A": "1\r\nX-Injected: 1"}),
            'health_check_job.headers["X-A"]',
            "CR, LF",
        ),
        (probe(headers={"X-A\r\nB": "1"}), 'health_check_job.headers["X-A\r\nB"]', "token"),
        (probe(headers={"Host": "evil"}), 'health_check_job.headers["Host"]', "set by the runner"),
        (
            probe(target="tcp://db.example.com:5432", body_contains="x"),
            "health_check_job.body_contains",
            "HTTP probes",
        ),
        (probe(grpc_service="orders"), "health_check_job.grpc_service", "gRPC probes"),
        (webhook(url="http://user@hooks.example.com/"), "webhook_job.url", "user information"),
        (webhook(url="http://10.0.0.1/"), "webhook_job.url", "private"),
        (webhook(url="https://hooks.example.com.evil.net/"), "webhook_job.url", "allowlist"),
        (webhook(method="CONNECT"), "webhook_job.method", "one of"),
        (webhook(timeout_seconds=301), "webhook_job.timeout_seconds", "between 1 and 300"),
        (webhook(max_attempts=11), "webhook_job.max_attempts", "between 1 and 10"),
        (webhook(expected_status_codes=[99]), "webhook_job.expected_status_codes", "100..599"),
        (webhook(body="x" * 40000), "webhook_job.body", "32768"),
        (
            webhook(headers={"X-Sig": "a\nb"}),
            'webhook_job.headers["X-Sig"]',
            "CR, LF",
        ),
        (
            webhook(
                secret_headers=[pb.SecretHeader(header="Auth\n", secret_name="s", secret_key="k")]
            ),
            "webhook_job.secret_headers[0].header",
            "token",
        ),
        (
            webhook(
                secret_headers=[pb.SecretHeader(header="A", secret_name="Bad_Name", secret_key="k")]
            ),
            "webhook_job.secret_headers[0].secret_name",
            "",
        ),
        (
            webhook(
                secret_headers=[pb.SecretHeader(header="A", secret_name="s", secret_key="a/b")]
            ),
            "webhook_job.secret_headers[0].secret_key",
            "Secret key",
        ),
        (
            webhook(
                secret_headers=[
                    pb.SecretHeader(
                        header="A", secret_name="s", secret_key="k", value_prefix="x\r\n"
                    )
                ]
            ),
            "webhook_job.secret_headers[0].value_prefix",
            "CR, LF",
        ),
        (
            webhook(
                headers={"authorization": "x"},
                secret_headers=[
                    pb.SecretHeader(header="Authorization", secret_name="s", secret_key="k")
                ],
            ),
            "webhook_job.secret_headers[0].header",
            "twice",
        ),
    ],
)
def test_bad_requests_name_the_field(req: pb.ScheduleJobRequest, field: str, text: str) -> None:
    found = violations(req)
    assert field in found, found
    assert text in found[field]


def test_with_no_allowlist_nothing_is_reachable() -> None:
    handler = WebhookHandler(EgressSettings(), TIMER)
    found = handler.validate(pb.WebhookJobConfig(url="https://hooks.example.com/"), "webhook_job")
    assert [v.field for v in found] == ["webhook_job.url"]


def test_no_secret_value_can_reach_an_annotation() -> None:
    built = manifest(REQUESTS["webhook"])
    text = json.dumps(built["metadata"])
    assert "hook-token" in text  # the Secret's name is kept for read-back ...
    assert "valueFrom" not in text  # ... and values are only ever referenced by the pod


def test_the_container_is_named_after_the_job_type() -> None:
    """`kubectl logs job/ID -c health-check` (or `-c webhook`) names the job type."""
    for req, type_name in ((probe(), HealthCheckHandler.name), (webhook(), WebhookHandler.name)):
        assert container(manifest(req))["name"] == type_name
