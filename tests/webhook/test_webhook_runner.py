"""``jobscheduler webhook`` against a real loopback HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.egress import EgressPolicy
from jobscheduler.runnerio import EXIT_EGRESS_DENIED, EXIT_FAILED, EXIT_OK
from jobscheduler.webhook.runner import retry_after_seconds, run_webhook
from tests.probe.servers import LOOPBACK_POLICY, http_server

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Waits(threading.Event):
    """A stop event whose waits are recorded instead of slept."""

    def __init__(self) -> None:
        super().__init__()
        self.waited: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waited.append(float(timeout or 0))
        return False


def _run(
    config: pb.WebhookJobConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    env: dict[str, str] | None = None,
    policy: EgressPolicy = LOOPBACK_POLICY,
    **kwargs: Any,
) -> tuple[int, dict[str, Any], str, Waits]:
    message_file = tmp_path / "termination-log"
    message_file.unlink(missing_ok=True)
    stop = Waits()
    code = run_webhook(
        config,
        policy,
        {"TERMINATION_MESSAGE_PATH": str(message_file), **(env or {})},
        stop,
        backoff=lambda attempt: 0.5 * attempt,
        now=lambda: NOW,
        **kwargs,
    )
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, lines
    message = message_file.read_text() if message_file.exists() else ""
    return code, json.loads(lines[0]), message, stop


def test_a_delivered_webhook_logs_its_status_and_body_excerpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/hook", (201, {}, b'{"id": 7}' + b"x" * 5000))
        config = pb.WebhookJobConfig(
            url=f"http://{address}/hook", body='{"event":"done"}', headers={"X-Event": "done"}
        )
        code, result, message, _ = _run(config, tmp_path, capsys)
    assert code == EXIT_OK and message == ""
    assert result["status"] == 201 and result["delivered"] is True and result["method"] == "POST"
    assert result["body_excerpt"].startswith('{"id": 7}') and len(result["body_excerpt"]) == 512
    seen = script.seen[0]
    assert seen.body == b'{"event":"done"}'
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Event"] == "done"


def test_5xx_and_429_are_retried_with_backoff_and_retry_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer(
            "/hook",
            (503, {}, b""),
            (429, {"Retry-After": "7"}, b""),
            (200, {}, b"ok"),
        )
        config = pb.WebhookJobConfig(url=f"http://{address}/hook", max_attempts=3)
        code, result, _, stop = _run(config, tmp_path, capsys)
    assert code == EXIT_OK
    assert result["attempts"] == 3
    assert stop.waited == [0.5, 7.0]  # backoff after the 503, the server's hint after the 429


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Tue, 01 Jan 2030 00:00:30 GMT", NOW) == 30.0
    assert retry_after_seconds("soon", NOW) is None


def test_a_4xx_is_final_and_out_of_attempts_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/gone", (410, {}, b""))
        script.answer("/down", (500, {}, b""))
        code, _, message, _ = _run(
            pb.WebhookJobConfig(url=f"http://{address}/gone", max_attempts=5), tmp_path, capsys
        )
        assert (code, message) == (EXIT_FAILED, "WebhookFailed: HTTP 410")
        code, result, message, _ = _run(
            pb.WebhookJobConfig(url=f"http://{address}/down", max_attempts=2), tmp_path, capsys
        )
    assert (code, message) == (EXIT_FAILED, "WebhookFailed: HTTP 500 after 2 attempts")
    assert result["attempts"] == 2
    assert [seen.path for seen in script.seen] == ["/gone", "/down", "/down"]


def test_secret_header_values_are_sent_but_never_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-t0ken"
    with http_server() as (address, script):
        # A server that echoes the request headers, as some do in error bodies.
        script.answer("/hook", (500, {}, f"bad token Bearer {secret}".encode()))
        config = pb.WebhookJobConfig(
            url=f"http://{address}/hook",
            max_attempts=1,
            secret_headers=[
                pb.SecretHeader(
                    header="Authorization",
                    secret_name="hook-token",
                    secret_key="token",
                    value_prefix="Bearer ",
                )
            ],
        )
        code, result, message, _ = _run(
            config, tmp_path, capsys, env={"WEBHOOK_SECRET_HEADER_0": secret}
        )
    assert script.seen[0].headers["Authorization"] == f"Bearer {secret}"
    assert code == EXIT_FAILED
    assert secret not in json.dumps(result) + message
    assert "[redacted]" in result["body_excerpt"]


def test_a_name_resolving_to_a_private_address_is_never_contacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = pb.WebhookJobConfig(url="http://hooks.test/hook")
    code, result, message, _ = _run(
        config, tmp_path, capsys, resolve=lambda host, port: ["192.168.1.10"]
    )
    assert code == EXIT_EGRESS_DENIED
    assert message.startswith("EgressDenied: hooks.test resolves to 192.168.1.10")
    assert result["delivered"] is False


def test_a_redirect_to_a_private_address_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with http_server() as (address, script):
        script.answer("/hook", (307, {"Location": "http://10.0.0.5/steal"}, b""))
        config = pb.WebhookJobConfig(url=f"http://{address}/hook", follow_redirects=True)
        code, _, message, _ = _run(config, tmp_path, capsys)
    assert code == EXIT_EGRESS_DENIED
    assert "10.0.0.5 is a private address" in message
    assert len(script.seen) == 1


def test_the_cli_command_sends_the_webhook_from_its_environment(tmp_path: Path) -> None:
    message_file = tmp_path / "termination-log"
    with http_server() as (address, script):
        script.answer("/hook", (204, {}, b""))
        config = pb.WebhookJobConfig(url=f"http://{address}/hook", method="PUT", body="{}")
        env = {
            **os.environ,
            "WEBHOOK_CONFIG": json_format.MessageToJson(config),
            **LOOPBACK_POLICY.to_env(),
            "TERMINATION_MESSAGE_PATH": str(message_file),
        }
        done = subprocess.run(
            [sys.executable, "-m", "jobscheduler", "webhook"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["status"] == 204
    assert script.seen[0].method == "PUT"
    assert not message_file.exists()
