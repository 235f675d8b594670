"""``jobscheduler probe`` against real loopback HTTP, TCP and gRPC servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from grpc_health.v1 import health_pb2

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.egress import EgressPolicy
from jobscheduler.probe.runner import run_probe
from jobscheduler.runnerio import EXIT_EGRESS_DENIED, EXIT_FAILED, EXIT_OK

from .servers import LOOPBACK_POLICY, grpc_health_server, http_server


def _run(
    config: pb.HealthCheckJobConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy: EgressPolicy = LOOPBACK_POLICY,
    **kwargs: Any,
) -> tuple[int, dict[str, Any], str]:
    message_file = tmp_path / "termination-log"
    env = {"TERMINATION_MESSAGE_PATH": str(message_file)}
    code = run_probe(config, policy, env, threading.Event(), **kwargs)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # one JSON result line
    message = message_file.read_text() if message_file.exists() else ""
    return code, json.loads(lines[0]), message


def test_a_healthy_http_endpoint_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/healthz", (200, {}, b"status: ok"))
        config = pb.HealthCheckJobConfig(
            target=f"http://{address}/healthz", body_contains="ok", headers={"X-Probe": "1"}
        )
        code, result, message = _run(config, tmp_path, capsys)
    assert code == EXIT_OK
    assert result["healthy"] is True and result["status"] == 200 and result["probe"] == "http"
    assert message == ""
    assert script.seen[0].headers["X-Probe"] == "1"


def test_an_unexpected_status_fails_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/healthz", (503, {}, b"down"))
        config = pb.HealthCheckJobConfig(target=f"http://{address}/healthz", attempts=2)
        code, result, message = _run(config, tmp_path, capsys)
    assert code == EXIT_FAILED
    assert message == "ProbeFailed: HTTP 503"
    assert result["attempts"] == 2 and result["healthy"] is False and result["status"] == 503
    assert len(script.seen) == 2


def test_expected_codes_and_body_text_decide_health(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/teapot", (418, {}, b"short and stout"))
        url = f"http://{address}/teapot"
        ok = pb.HealthCheckJobConfig(target=url, expected_status_codes=[418], http_method="POST")
        assert _run(ok, tmp_path, capsys)[0] == EXIT_OK
        wrong_text = pb.HealthCheckJobConfig(
            target=url, expected_status_codes=[418], body_contains="tall"
        )
        code, _, message = _run(wrong_text, tmp_path, capsys)
    assert code == EXIT_FAILED
    assert message == "ProbeFailed: HTTP 418 without 'tall'"
    assert script.seen[0].method == "POST"


def test_the_name_is_resolved_once_and_the_host_header_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    with http_server() as (address, script):
        port = address.rsplit(":", 1)[1]
        script.answer("/", (200, {}, b""))
        config = pb.HealthCheckJobConfig(target=f"http://probe.test:{port}/")
        code, _, _ = _run(config, tmp_path, capsys, resolve=resolve)
    assert code == EXIT_OK
    assert lookups == ["probe.test"]
    assert script.seen[0].headers["Host"] == f"probe.test:{port}"


def test_dns_rebinding_cannot_turn_a_checked_name_into_a_private_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    with http_server() as (address, script):
        port = address.rsplit(":", 1)[1]
        script.answer("/", (503, {}, b""))
        config = pb.HealthCheckJobConfig(target=f"http://probe.test:{port}/", attempts=2)
        code, result, message = _run(
            config, tmp_path, capsys, resolve=lambda host, port: next(answers)
        )
    # The first attempt reached the checked address; the second lookup's private answer was
    # refused before any connection was made to it.
    assert len(script.seen) == 1
    assert code == EXIT_EGRESS_DENIED
    assert message.startswith("EgressDenied: probe.test resolves to 10.0.0.1 is a private")
    assert result["reason"] == "EgressDenied"


def test_a_redirect_to_a_private_address_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/moved", (302, {"Location": "http://169.254.169.254/latest/"}, b""))
        script.answer("/here", (302, {"Location": "/healthz"}, b""))
        script.answer("/healthz", (200, {}, b""))
        follow = pb.HealthCheckJobConfig(target=f"http://{address}/moved", follow_redirects=True)
        code, _, message = _run(follow, tmp_path, capsys)
        assert code == EXIT_EGRESS_DENIED
        assert "cloud metadata" in message
        # Off by default: the redirect itself is the answer (3xx counts as healthy).
        assert (
            _run(pb.HealthCheckJobConfig(target=f"http://{address}/moved"), tmp_path, capsys)[0]
            == EXIT_OK
        )
        same_host = pb.HealthCheckJobConfig(target=f"http://{address}/here", follow_redirects=True)
        assert _run(same_host, tmp_path, capsys)[0] == EXIT_OK
    assert [seen.path for seen in script.seen] == ["/moved", "/moved", "/here", "/healthz"]


def test_loopback_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        config = pb.HealthCheckJobConfig(target=f"http://{address}/")
        code, _, message = _run(config, tmp_path, capsys, policy=EgressPolicy.parse("*", ""))
    assert code == EXIT_EGRESS_DENIED
    assert "loopback" in message
    assert script.seen == []


def test_tcp_probe_connects_or_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        ok = pb.HealthCheckJobConfig(target=f"tcp://127.0.0.1:{port}")
        assert _run(ok, tmp_path, capsys)[0] == EXIT_OK
    # The listener is closed: nothing accepts on that port now.
    code, result, message = _run(ok, tmp_path, capsys)
    assert code == EXIT_FAILED
    assert message == "ProbeFailed: connection refused"
    assert result["probe"] == "tcp"


def test_grpc_health_probe_reads_the_serving_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with grpc_health_server() as (address, servicer):
        servicer.set("orders", health_pb2.HealthCheckResponse.NOT_SERVING)
        whole = pb.HealthCheckJobConfig(target=f"grpc://{address}", timeout_seconds=10)
        assert _run(whole, tmp_path, capsys)[:2][0] == EXIT_OK
        orders = pb.HealthCheckJobConfig(target=f"grpc://{address}", grpc_service="orders")
        code, _, message = _run(orders, tmp_path, capsys)
        assert code == EXIT_FAILED
        assert message == "ProbeFailed: NOT_SERVING"
        unknown = pb.HealthCheckJobConfig(target=f"grpc://{address}", grpc_service="nope")
        assert _run(unknown, tmp_path, capsys)[2] == "ProbeFailed: gRPC NOT_FOUND"


def test_the_cli_command_runs_the_probe_from_its_environment(tmp_path: Path) -> None:
    message_file = tmp_path / "termination-log"
    with http_server() as (address, script):
        script.answer("/healthz", (503, {}, b""))
        config = pb.HealthCheckJobConfig(target=f"http://{address}/healthz")
        env = {
            **os.environ,
            "PROBE_CONFIG": json_format.MessageToJson(config),
            **LOOPBACK_POLICY.to_env(),
            "TERMINATION_MESSAGE_PATH": str(message_file),
        }
        done = subprocess.run(
            [sys.executable, "-m", "jobscheduler", "probe"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == EXIT_FAILED, done.stderr
    assert json.loads(done.stdout)["status"] == 503
    assert message_file.read_text() == "ProbeFailed: HTTP 503"


def test_the_cli_command_reports_a_bad_configuration(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PROBE_CONFIG": "{not json",
        "TERMINATION_MESSAGE_PATH": str(tmp_path / "t"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "jobscheduler", "probe"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "PROBE_CONFIG" in done.stderr
    assert (tmp_path / "t").read_text().startswith("BadConfig: PROBE_CONFIG")
