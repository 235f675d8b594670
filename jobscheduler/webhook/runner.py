"""The webhook runner: one HTTP request, retried with backoff until it is delivered.

The webhook job type starts a container with this contract in its environment:

- ``WEBHOOK_CONFIG`` (required): the job's WebhookJobConfig as protobuf JSON (no secrets in it);
- ``WEBHOOK_SECRET_HEADER_<n>``: the value of ``secret_headers[n]``, from its Secret key
  (a ``secretKeyRef``, resolved by the kubelet);
- ``EGRESS_ALLOWED_HOSTS`` / ``EGRESS_ALLOWED_CIDRS``: the egress allowlist, checked again
  here with the addresses the name resolves to (``jobscheduler.egress``);
- ``TERMINATION_MESSAGE_PATH``: where to write ``WebhookFailed: <why>`` for GetJobStatus.

Connection errors, timeouts, 429 and 5xx are retried (``jobscheduler.backoff`` with jitter,
or the server's Retry-After, capped); any other status outside ``expected_status_codes``
(default 200..299) is final. The log ends with one JSON line: URL, method, status, attempts and
a bounded excerpt of the response body, with secret header values blanked out of it.

Exit codes: 0 delivered, 1 not delivered (WebhookFailed), 2 bad configuration, 3 the egress
guard refused the URL (EgressDenied), 143 terminated.
"""

from __future__ import annotations

import email.utils
import http.client
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from jobscheduler import egress_http, runnerio
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.backoff import BackoffPolicy
from jobscheduler.egress import EgressDenied, EgressPolicy, Resolver
from jobscheduler.runnerio import (
    EXIT_EGRESS_DENIED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TERMINATED,
    finish,
)

CONFIG_ENV = "WEBHOOK_CONFIG"
SECRET_HEADER_ENV = "WEBHOOK_SECRET_HEADER_{}"
DEFAULT_METHOD = "POST"
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_MAX_ATTEMPTS = 3
MAX_RETRY_AFTER_SECONDS = 60.0
EXCERPT_CHARS = 512
BACKOFF = BackoffPolicy(initial_seconds=1.0, max_seconds=30.0, jitter=0.25)


class WebhookConfigError(ValueError):
    pass


def secret_header_env(index: int) -> str:
    return SECRET_HEADER_ENV.format(index)


def config_from_env(env: Mapping[str, str]) -> pb.WebhookJobConfig:
    return runnerio.config_from_env(env, CONFIG_ENV, pb.WebhookJobConfig)


def request_headers(
    config: pb.WebhookJobConfig, env: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The headers to send and the secret values among them (to keep them out of the log)."""
    headers = dict(config.headers)
    secrets = []
    for index, item in enumerate(config.secret_headers):
        name = secret_header_env(index)
        if name not in env:
            raise WebhookConfigError(f"{name} (secret header {item.header}) is not set")
        value = env[name]
        if "\r" in value or "\n" in value or "\x00" in value:
            raise WebhookConfigError(
                f"the value of Secret {item.secret_name} key {item.secret_key} contains a line "
                "break or NUL and cannot be a header value"
            )
        headers[item.header] = item.value_prefix + value
        if value:
            secrets.append(value)
    return headers, secrets


def delivered(status: int, expected: list[int]) -> bool:
    return status in expected if expected else 200 <= status < 300


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (RFC 9110: a number of seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


def run_webhook(
    config: pb.WebhookJobConfig,
    policy: EgressPolicy,
    env: Mapping[str, str],
    stop: threading.Event,
    *,
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
    backoff: Callable[[int], float] = BACKOFF.delay,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Send until delivered, refused or out of attempts; print the result line; an exit code."""
    started = clock()
    method = (config.method or DEFAULT_METHOD).upper()
    result: dict[str, Any] = {"webhook": config.url, "method": method, "delivered": False}
    headers, secrets = request_headers(config, env)
    if config.body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    request = egress_http.HttpRequest(
        url=config.url,
        method=method,
        headers=headers,
        body=config.body.encode() if config.body else None,
        timeout_seconds=float(config.timeout_seconds or DEFAULT_TIMEOUT_SECONDS),
        follow_redirects=config.follow_redirects,
    )
    attempts = max(1, config.max_attempts or DEFAULT_MAX_ATTEMPTS)
    expected = list(config.expected_status_codes)

    def done(code: int, message: str) -> int:
        result["elapsed_ms"] = round((clock() - started) * 1000)
        if message:
            result["reason"] = message.split(":", 1)[0]
        finish(result, redact(message, secrets), env)
        return code

    for attempt in range(1, attempts + 1):
        result["attempts"] = attempt
        retry_in: float | None = None
        try:
            response = egress_http.send(request, policy, resolve=resolve, tls=tls)
        except EgressDenied as denied:
            result["error"] = str(denied)
            return done(EXIT_EGRESS_DENIED, f"EgressDenied: {denied}")
        except (OSError, http.client.HTTPException) as error:
            problem = "timed out" if isinstance(error, TimeoutError) else f"{error}"
            result["error"] = redact(problem, secrets)
            detail = f"cannot reach {config.url}: {problem}"
        else:
            result["status"] = response.status
            excerpt = response.body[:EXCERPT_CHARS].decode("utf-8", "replace")
            result["body_excerpt"] = redact(excerpt, secrets)
            result.pop("error", None)
            if delivered(response.status, expected):
                result["delivered"] = True
                return done(EXIT_OK, "")
            detail = f"HTTP {response.status}"
            if response.status != 429 and response.status < 500:
                return done(EXIT_FAILED, f"WebhookFailed: {detail}")
            retry_in = retry_after_seconds(response.headers.get("retry-after"), now())
        if attempt == attempts:
            return done(EXIT_FAILED, f"WebhookFailed: {detail} after {attempt} attempts")
        delay = min(MAX_RETRY_AFTER_SECONDS, retry_in if retry_in is not None else backoff(attempt))
        print(
            f"attempt {attempt}: {redact(detail, secrets)}; retrying in {delay:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        if stop.wait(delay):
            return done(EXIT_TERMINATED, f"Terminated: stopped while retrying ({detail})")
    return done(EXIT_FAILED, "WebhookFailed: no attempt made")
