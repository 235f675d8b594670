"""The webhook job type: one HTTP request, retried with backoff, its outcome the job's.

The container runs ``jobscheduler webhook`` (``jobscheduler.webhook.runner``) from the project
image. The config travels as JSON in WEBHOOK_CONFIG; header values from Secrets travel as
``secretKeyRef`` env entries that the kubelet resolves, so the values never pass through
this service, its annotations, its logs or a job's status. ``secrets_read`` names those
Secrets: a caller scheduling such a job needs ``get`` on each of them, since the job would
otherwise let them send a Secret they cannot read to a URL of their choosing.
"""

from __future__ import annotations

import re

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.egress_http import HTTP_SCHEMES
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
    check_header_name,
    check_headers,
    check_image,
    check_range,
    check_status_codes,
    check_url,
    runner_container,
)
from jobscheduler.webhook.runner import CONFIG_ENV, DEFAULT_METHOD, secret_header_env

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MAX_BODY_BYTES = 32 * 1024
MAX_TIMEOUT_SECONDS = 300
MAX_ATTEMPTS = 10
MAX_SECRET_HEADERS = 10
MAX_VALUE_PREFIX = 256
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")


class WebhookHandler(EgressRunnerType, Handler[pb.WebhookJobConfig, pb.WebhookJobDetails]):
    name = "webhook"
    request_field = "webhook_job"
    details_field = "webhook_details"
    config_message = pb.WebhookJobConfig
    details_message = pb.WebhookJobDetails
    description = (
        "Sends one HTTP request, retried with backoff (honouring Retry-After) on connection "
        "errors, 429 and 5xx; succeeds on an expected status. The URL must pass the egress "
        "allowlist; header values may come from Secrets in the job's namespace."
    )
    field_descriptions = {
        "url": "http(s)://host[:port]/path?query (no user information).",
        "method": "GET, HEAD, POST (default), PUT, PATCH, DELETE or OPTIONS.",
        "headers": "Request headers (not for secrets: use secret_headers).",
        "secret_headers": "Headers whose values come from a Secret key (caller needs get on it).",
        "body": "Request body, at most 32 KiB (Content-Type defaults to application/json).",
        "expected_status_codes": "Status codes that count as delivered (default 200..299).",
        "timeout_seconds": "Seconds one attempt may take, 1..300 (default 10).",
        "max_attempts": "Attempts in all, 1..10 (default 3).",
        "follow_redirects": "Follow redirects, each checked against the allowlist.",
        "image": "Container image (default: the server's TIMER_IMAGE, the project image).",
    }
    required_fields = frozenset({"url"})
    read_only_root_filesystem = True
    cli_flags = (
        CliFlag("--url", "url", "where to send the request", metavar="URL"),
        CliFlag("--method", "method", "HTTP method (default POST)", metavar="METHOD"),
        CliFlag("--header", "headers", "HTTP header", metavar="NAME=VALUE"),
        CliFlag("--body", "body", "request body"),
        CliFlag("--expect-status", "expected_status_codes", "a status that counts as delivered"),
        CliFlag("--max-attempts", "max_attempts", "attempts in all"),
        CliFlag("--image", "image", "the runner's image (default: the server's)", metavar="IMAGE"),
    )

    def secrets_read(self, config: pb.WebhookJobConfig, namespace: str) -> list[tuple[str, str]]:
        return sorted({(namespace, item.secret_name) for item in config.secret_headers})

    def validate(self, config: pb.WebhookJobConfig, path: str) -> list[FieldViolation]:
        _, violations = check_url(config.url, f"{path}.url", self.policy, HTTP_SCHEMES)
        violations += check_choice(config.method, f"{path}.method", METHODS)
        violations += check_headers(config.headers, f"{path}.headers")
        violations += self._check_secret_headers(config, f"{path}.secret_headers")
        if len(config.body.encode()) > MAX_BODY_BYTES:
            violations.append(FieldViolation(f"{path}.body", f"at most {MAX_BODY_BYTES} bytes"))
        if "\x00" in config.body:
            violations.append(FieldViolation(f"{path}.body", "must not contain NUL characters"))
        violations += check_status_codes(
            config.expected_status_codes, f"{path}.expected_status_codes"
        )
        violations += check_range(
            config.timeout_seconds, f"{path}.timeout_seconds", 1, MAX_TIMEOUT_SECONDS, " seconds"
        )
        violations += check_range(config.max_attempts, f"{path}.max_attempts", 1, MAX_ATTEMPTS)
        violations += check_image(config.image, f"{path}.image")
        return violations

    def _check_secret_headers(self, config: pb.WebhookJobConfig, path: str) -> list[FieldViolation]:
        violations = []
        if len(config.secret_headers) > MAX_SECRET_HEADERS:
            violations.append(FieldViolation(path, f"at most {MAX_SECRET_HEADERS} secret headers"))
        plain = {name.lower() for name in config.headers}
        seen: set[str] = set()
        for index, item in enumerate(config.secret_headers):
            field = f"{path}[{index}]"
            violations += check_header_name(item.header, f"{field}.header")
            if item.header.lower() in plain | seen:
                violations.append(FieldViolation(f"{field}.header", "is given twice"))
            seen.add(item.header.lower())
            if problem := kubesyntax.dns_subdomain(item.secret_name):
                violations.append(FieldViolation(f"{field}.secret_name", problem))
            if not _SECRET_KEY.fullmatch(item.secret_key):
                violations.append(
                    FieldViolation(
                        f"{field}.secret_key",
                        "must be a Secret key: letters, digits, '-', '_' or '.'",
                    )
                )
            prefix = item.value_prefix
            if len(prefix) > MAX_VALUE_PREFIX or any(ord(c) < 32 or ord(c) == 127 for c in prefix):
                violations.append(
                    FieldViolation(
                        f"{field}.value_prefix",
                        f"at most {MAX_VALUE_PREFIX} characters, without CR, LF or control ones",
                    )
                )
        return violations

    def build_container(self, config: pb.WebhookJobConfig, ctx: BuildContext) -> JSON:
        runner_config = pb.WebhookJobConfig()
        runner_config.CopyFrom(config)
        runner_config.ClearField("image")
        env: list[JSON] = [{"name": CONFIG_ENV, "value": config_to_annotation(runner_config)}]
        for index, item in enumerate(config.secret_headers):
            env.append(
                {
                    "name": secret_header_env(index),
                    "valueFrom": {
                        "secretKeyRef": {"name": item.secret_name, "key": item.secret_key}
                    },
                }
            )
        image = config.image or self.default_image(ctx.settings)
        return runner_container(image, "webhook", env, self.policy)

    def default_active_deadline_seconds(
        self, config: pb.WebhookJobConfig, settings: Settings
    ) -> int:
        """Every attempt timing out, the longest waits between them, and a minute to start."""
        attempts = config.max_attempts or 3
        timeout = config.timeout_seconds or 10
        return attempts * timeout + (attempts - 1) * 60 + 60

    def read_details(self, manifest: JSON) -> pb.WebhookJobDetails:
        config = stored_config(manifest, pb.WebhookJobConfig)
        return pb.WebhookJobDetails(
            url=config.url,
            method=(config.method or DEFAULT_METHOD).upper(),
            image=pod_container(manifest).get("image", config.image),
            secret_names=sorted({item.secret_name for item in config.secret_headers}),
        )

    def detail_rows(self, details: pb.WebhookJobDetails) -> list[tuple[str, str]]:
        rows = [("Webhook", f"{details.method} {details.url}")]
        if details.secret_names:
            rows.append(("Secrets", ", ".join(details.secret_names)))
        return rows
