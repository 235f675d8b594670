"""The probe runner: one health check of an HTTP(S) URL, a TCP port or a gRPC health service.

The health-check job type starts a container with this contract in its environment:

- ``PROBE_CONFIG`` (required): the job's HealthCheckJobConfig as protobuf JSON;
- ``EGRESS_ALLOWED_HOSTS`` / ``EGRESS_ALLOWED_CIDRS``: the server's egress allowlist
  (``jobscheduler.egress``), checked again here against the addresses the name resolves to;
- ``TERMINATION_MESSAGE_PATH``: where to write ``ProbeFailed: <why>`` for GetJobStatus.

It makes up to ``attempts`` attempts, ``attempt_interval_seconds`` apart, and stops at the
first healthy one. Its log ends with one JSON line: probe, target, healthy, attempts, and the
status or error of the last attempt.

Exit codes: 0 healthy, 1 unhealthy (ProbeFailed), 2 bad configuration, 3 the egress guard
refused the target (EgressDenied), 143 terminated.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from jobscheduler import egress_http, runnerio
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.egress import EgressDenied, EgressPolicy, Resolver, Target
from jobscheduler.runnerio import (
    EXIT_EGRESS_DENIED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TERMINATED,
    finish,
)

CONFIG_ENV = "PROBE_CONFIG"
PROBE_SCHEMES = ("http", "https", "tcp", "grpc", "grpcs")
DEFAULT_TIMEOUT_SECONDS = 5
DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_HTTP_METHOD = "GET"


def probe_kind(scheme: str) -> str:
    return {"https": "http", "grpcs": "grpc"}.get(scheme, scheme)


def healthy_status(status: int, expected: list[int]) -> bool:
    """Kubernetes httpGet probes count 200..399 as healthy; a list replaces that."""
    return status in expected if expected else 200 <= status < 400


def config_from_env(env: Mapping[str, str]) -> pb.HealthCheckJobConfig:
    return runnerio.config_from_env(env, CONFIG_ENV, pb.HealthCheckJobConfig)


@dataclass(frozen=True)
class Outcome:
    healthy: bool
    detail: str  # "HTTP 503", "connection refused", "SERVING", ...
    status: int | None = None  # HTTP status, when there was one


class _Unhealthy(Exception):
    pass


def probe_once(
    config: pb.HealthCheckJobConfig,
    target: Target,
    policy: EgressPolicy,
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
) -> Outcome:
    """One attempt. EgressDenied propagates: a refused target is not a flaky one."""
    timeout = float(config.timeout_seconds or DEFAULT_TIMEOUT_SECONDS)
    kind = probe_kind(target.scheme)
    try:
        if kind == "http":
            return _http(config, target, policy, resolve=resolve, tls=tls, timeout=timeout)
        address = policy.connect_address(target, resolve)
        if kind == "tcp":
            with socket.create_connection((str(address), target.port), timeout):
                return Outcome(True, "connected")
        return _grpc(config, target, str(address), timeout)
    except EgressDenied:
        raise
    except TimeoutError:
        return Outcome(False, f"timed out after {timeout:g}s")
    except ConnectionRefusedError:
        return Outcome(False, "connection refused")
    except ssl.SSLError as error:
        return Outcome(False, f"TLS error: {error.reason or error}")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(False, f"{type(error).__name__}: {error}")


def _http(
    config: pb.HealthCheckJobConfig,
    target: Target,
    policy: EgressPolicy,
    *,
    resolve: Resolver | None,
    tls: ssl.SSLContext | None,
    timeout: float,
) -> Outcome:
    request = egress_http.HttpRequest(
        url=target.url,
        method=config.http_method or DEFAULT_HTTP_METHOD,
        headers=dict(config.headers),
        timeout_seconds=timeout,
        follow_redirects=config.follow_redirects,
    )
    response = egress_http.send(request, policy, resolve=resolve, tls=tls)
    if not healthy_status(response.status, list(config.expected_status_codes)):
        return Outcome(False, f"HTTP {response.status}", response.status)
    wanted = config.body_contains
    if wanted and wanted.encode() not in response.body:
        return Outcome(False, f"HTTP {response.status} without {wanted!r}", response.status)
    return Outcome(True, f"HTTP {response.status}", response.status)


def _grpc(config: pb.HealthCheckJobConfig, target: Target, address: str, timeout: float) -> Outcome:
    # The channel dials the checked address; the authority (and TLS name) is the host name.
    family = "ipv6" if ":" in address else "ipv4"
    host = f"[{address}]" if family == "ipv6" else address
    dial = f"{family}:{host}:{target.port}"
    options: list[tuple[str, Any]] = [
        ("grpc.default_authority", f"{target.authority}"),
        ("grpc.enable_http_proxy", 0),
    ]
    if target.scheme == "grpcs":
        options.append(("grpc.ssl_target_name_override", target.host))
        channel = grpc.secure_channel(dial, grpc.ssl_channel_credentials(), options=options)
    else:
        channel = grpc.insecure_channel(dial, options=options)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(
                health_pb2.HealthCheckRequest(service=config.grpc_service), timeout=timeout
            )
        except grpc.RpcError as error:
            code = error.code() if callable(getattr(error, "code", None)) else None
            name = code.name if code is not None else "UNKNOWN"
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return Outcome(False, f"timed out after {timeout:g}s")
            return Outcome(False, f"gRPC {name}")
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        return Outcome(answer.status == health_pb2.HealthCheckResponse.SERVING, status)
    finally:
        channel.close()


def run_probe(
    config: pb.HealthCheckJobConfig,
    policy: EgressPolicy,
    env: Mapping[str, str],
    stop: threading.Event,
    *,
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Probe until healthy or out of attempts; print the result line; an exit code."""
    result: dict[str, Any] = {"probe": "", "target": config.target, "healthy": False}
    started = clock()
    try:
        target = policy.check_url(config.target, PROBE_SCHEMES)
    except EgressDenied as denied:
        return _done(
            result,
            env,
            started=started,
            clock=clock,
            code=EXIT_EGRESS_DENIED,
            message=f"EgressDenied: {denied}",
        )
    result["probe"] = probe_kind(target.scheme)
    attempts = max(1, config.attempts or 1)
    interval = config.attempt_interval_seconds or DEFAULT_INTERVAL_SECONDS
    outcome = Outcome(False, "not probed")
    for attempt in range(1, attempts + 1):
        result["attempts"] = attempt
        try:
            outcome = probe_once(config, target, policy, resolve, tls)
        except EgressDenied as denied:
            result["error"] = str(denied)
            return _done(
                result,
                env,
                started=started,
                clock=clock,
                code=EXIT_EGRESS_DENIED,
                message=f"EgressDenied: {denied}",
            )
        if outcome.healthy:
            break
        if attempt < attempts and stop.wait(interval):
            result["detail"] = outcome.detail
            return _done(
                result,
                env,
                started=started,
                clock=clock,
                code=EXIT_TERMINATED,
                message="Terminated: stopped",
            )
    result["healthy"] = outcome.healthy
    result["detail"] = outcome.detail
    if outcome.status is not None:
        result["status"] = outcome.status
    if outcome.healthy:
        return _done(result, env, started=started, clock=clock, code=EXIT_OK, message="")
    return _done(
        result,
        env,
        started=started,
        clock=clock,
        code=EXIT_FAILED,
        message=f"ProbeFailed: {outcome.detail}",
    )


def _done(
    result: dict[str, Any],
    env: Mapping[str, str],
    *,
    started: float,
    clock: Callable[[], float],
    code: int,
    message: str,
) -> int:
    result["elapsed_ms"] = round((clock() - started) * 1000)
    if message:
        result["reason"] = message.split(":", 1)[0]
    finish(result, message, env)
    return code
