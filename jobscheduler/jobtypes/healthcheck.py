"""The health-check job type: one probe of an HTTP(S) URL, a TCP port or a gRPC health service.

The container runs ``jobscheduler probe`` (``jobscheduler.probe.runner``) from the project
image with the config as JSON in PROBE_CONFIG and the server's egress allowlist beside it. A
failed probe exits 1 and leaves ``ProbeFailed: <why>`` as its termination message, which
GetJobStatus shows as the job's reason. With a ``schedule`` it is a CronJob of probes.
"""

from __future__ import annotations

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.base import (
    JSON,
    BuildContext,
    CliFlag,
    Handler,
    config_to_annotation,
    pod_container,
    stored_config,
)
from jobscheduler.jobtypes.httpfields import (
    EgressRunnerType,
    check_choice,
    check_headers,
    check_image,
    check_range,
    check_status_codes,
    check_url,
    runner_container,
)
from jobscheduler.probe.runner import CONFIG_ENV, PROBE_SCHEMES, probe_kind

HTTP_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
MAX_TIMEOUT_SECONDS = 60
MAX_ATTEMPTS = 10
MAX_INTERVAL_SECONDS = 60
MAX_BODY_CONTAINS = 1024
_HTTP_ONLY = ("http_method", "expected_status_codes", "body_contains", "headers")


class HealthCheckHandler(
    EgressRunnerType, Handler[pb.HealthCheckJobConfig, pb.HealthCheckJobDetails]
):
    name = "health-check"
    request_field = "health_check_job"
    details_field = "health_check_details"
    config_message = pb.HealthCheckJobConfig
    details_message = pb.HealthCheckJobDetails
    description = (
        "Probes an HTTP(S) URL, a TCP port or a gRPC health service; succeeds when the probe "
        "does, fails with reason ProbeFailed otherwise. Targets must pass the egress allowlist."
    )
    field_descriptions = {
        "target": "http(s)://host[:port]/path, tcp://host:port, grpc://host:port or grpcs://.",
        "http_method": "HTTP method: GET (default), HEAD, POST or OPTIONS.",
        "expected_status_codes": "HTTP status codes that count as healthy (default 200..399).",
        "body_contains": "Text the HTTP response body must contain.",
        "headers": "HTTP request headers.",
        "grpc_service": "Service name asked about by a gRPC probe (default: the whole server).",
        "timeout_seconds": "Seconds one attempt may take, 1..60 (default 5).",
        "attempts": "Attempts before the probe fails, 1..10 (default 1).",
        "attempt_interval_seconds": "Seconds between attempts, 1..60 (default 1).",
        "follow_redirects": "Follow HTTP redirects, each checked against the allowlist.",
        "image": "Container image (default: the server's TIMER_IMAGE, the project image).",
    }
    required_fields = frozenset({"target"})
    read_only_root_filesystem = True
    cli_flags = (
        CliFlag("--target", "target", "what to probe", metavar="URL"),
        CliFlag("--http-method", "http_method", "HTTP method (default GET)", metavar="METHOD"),
        CliFlag("--expect-status", "expected_status_codes", "a status that counts as healthy"),
        CliFlag("--body-contains", "body_contains", "text the response must contain"),
        CliFlag("--header", "headers", "HTTP header", metavar="NAME=VALUE"),
        CliFlag("--grpc-service", "grpc_service", "gRPC health service name"),
        CliFlag("--probe-timeout", "timeout_seconds", "seconds per attempt", metavar="SECONDS"),
        CliFlag("--attempts", "attempts", "attempts before failing"),
        CliFlag("--image", "image", "the runner's image (default: the server's)", metavar="IMAGE"),
    )

    def validate(self, config: pb.HealthCheckJobConfig, path: str) -> list[FieldViolation]:
        target, violations = check_url(config.target, f"{path}.target", self.policy, PROBE_SCHEMES)
        kind = probe_kind(target.scheme) if target else ""
        if kind and kind != "http":
            for field in _HTTP_ONLY:
                if getattr(config, field):
                    violations.append(
                        FieldViolation(f"{path}.{field}", f"applies to HTTP probes, not {kind}")
                    )
        if kind and kind != "grpc" and config.grpc_service:
            violations.append(FieldViolation(f"{path}.grpc_service", "applies to gRPC probes"))
        violations += check_choice(config.http_method, f"{path}.http_method", HTTP_METHODS)
        violations += check_status_codes(
            config.expected_status_codes, f"{path}.expected_status_codes"
        )
        if len(config.body_contains) > MAX_BODY_CONTAINS:
            violations.append(
                FieldViolation(f"{path}.body_contains", f"at most {MAX_BODY_CONTAINS} characters")
            )
        violations += check_headers(config.headers, f"{path}.headers")
        if len(config.grpc_service) > 253 or any(ord(c) < 32 for c in config.grpc_service):
            violations.append(
                FieldViolation(f"{path}.grpc_service", "at most 253 characters, no control ones")
            )
        violations += check_range(
            config.timeout_seconds, f"{path}.timeout_seconds", 1, MAX_TIMEOUT_SECONDS, " seconds"
        )
        violations += check_range(config.attempts, f"{path}.attempts", 1, MAX_ATTEMPTS)
        violations += check_range(
            config.attempt_interval_seconds,
            f"{path}.attempt_interval_seconds",
            1,
            MAX_INTERVAL_SECONDS,
            " seconds",
        )
        violations += check_image(config.image, f"{path}.image")
        return violations

    def build_container(self, config: pb.HealthCheckJobConfig, ctx: BuildContext) -> JSON:
        runner_config = pb.HealthCheckJobConfig()
        runner_config.CopyFrom(config)
        runner_config.ClearField("image")
        env = [{"name": CONFIG_ENV, "value": config_to_annotation(runner_config)}]
        image = config.image or self.default_image(ctx.settings)
        return runner_container(image, "probe", env, self.policy)

    def default_active_deadline_seconds(
        self, config: pb.HealthCheckJobConfig, settings: Settings
    ) -> int:
        """Every attempt timing out, the waits between them, and a minute to start the pod."""
        attempts = config.attempts or 1
        timeout = config.timeout_seconds or 5
        interval = config.attempt_interval_seconds or 1
        return attempts * timeout + (attempts - 1) * interval + 60

    def read_details(self, manifest: JSON) -> pb.HealthCheckJobDetails:
        config = stored_config(manifest, pb.HealthCheckJobConfig)
        scheme = config.target.split("://", 1)[0].lower() if "://" in config.target else ""
        return pb.HealthCheckJobDetails(
            target=config.target,
            probe=probe_kind(scheme) if scheme else "",
            image=pod_container(manifest).get("image", config.image),
        )

    def detail_rows(self, details: pb.HealthCheckJobDetails) -> list[tuple[str, str]]:
        return [("Probe", f"{details.probe or '?'} {details.target}")]
