"""The timer runner against a real HTTP endpoint on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jobscheduler.timer.runner import (
    EXIT_OK,
    EXIT_REPORT_FAILED,
    EXIT_TERMINATED,
    RetryPolicy,
    TimerConfig,
    TimerConfigError,
    run_timer,
)

FAST = RetryPolicy(max_attempts=4, initial_backoff_seconds=0.01, max_backoff_seconds=0.05)
COMPLETED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class ControlPlane:
    """Records every POST and answers from a script of status codes (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []
        plane = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                plane.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                status = plane.statuses.pop(0) if plane.statuses else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/timers/complete"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,))

    def __enter__(self) -> ControlPlane:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def plane_factory() -> Iterator[Any]:
    planes: list[ControlPlane] = []

    def make(statuses: list[int] | None = None) -> ControlPlane:
        plane = ControlPlane(statuses or []).__enter__()
        planes.append(plane)
        return plane

    yield make
    for plane in planes:
        plane.__exit__()


def _config(endpoint: str, **overrides: str) -> TimerConfig:
    env = {
        "TIMER_DURATION_SECONDS": "0.01",
        "TIMER_NAME": "build-timeout",
        "CONTROL_PLANE_ENDPOINT": endpoint,
        "TIMER_ID": "job-abc123",
        **overrides,
    }
    return TimerConfig.from_env(env)


def test_reports_completion_once_with_an_idempotency_key(plane_factory: Any) -> None:
    plane = plane_factory()
    code = run_timer(_config(plane.url), threading.Event(), policy=FAST, now=lambda: COMPLETED)
    assert code == EXIT_OK
    (request,) = plane.requests
    assert request["path"] == "/timers/complete"
    assert request["headers"]["Idempotency-Key"] == "job-abc123"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {
        "timer_id": "job-abc123",
        "timer_name": "build-timeout",
        "duration": 0.01,
        "completed_at": "2026-03-01T12:00:00Z",
    }


def test_whole_second_durations_are_reported_as_integers(plane_factory: Any) -> None:
    plane = plane_factory()
    config = TimerConfig(0, "t", plane.url, "job-1")
    assert run_timer(config, threading.Event(), policy=FAST) == EXIT_OK
    assert plane.requests[0]["body"]["duration"] == 0


def test_failing_then_succeeding_endpoint_gets_the_same_report_again(plane_factory: Any) -> None:
    plane = plane_factory([503, 500, 429])
    code = run_timer(_config(plane.url), threading.Event(), policy=FAST)
    assert code == EXIT_OK
    assert len(plane.requests) == 4
    bodies = {json.dumps(r["body"], sort_keys=True) for r in plane.requests}
    keys = {r["headers"]["Idempotency-Key"] for r in plane.requests}
    assert len(bodies) == 1 and keys == {"job-abc123"}


def test_gives_up_after_the_last_attempt(plane_factory: Any) -> None:
    plane = plane_factory([503] * 10)
    assert run_timer(_config(plane.url), threading.Event(), policy=FAST) == EXIT_REPORT_FAILED
    assert len(plane.requests) == FAST.max_attempts


def test_unreachable_endpoint_fails_after_retries() -> None:
    with ControlPlane([]) as plane:
        url = plane.url
    # The server is gone: every attempt is refused.
    assert run_timer(_config(url), threading.Event(), policy=FAST) == EXIT_REPORT_FAILED


def test_conflict_means_already_recorded(plane_factory: Any) -> None:
    plane = plane_factory([409])
    assert run_timer(_config(plane.url), threading.Event(), policy=FAST) == EXIT_OK
    assert len(plane.requests) == 1


def test_a_client_error_is_not_retried(plane_factory: Any) -> None:
    plane = plane_factory([400])
    assert run_timer(_config(plane.url), threading.Event(), policy=FAST) == EXIT_REPORT_FAILED
    assert len(plane.requests) == 1


def test_without_an_endpoint_it_just_waits() -> None:
    config = TimerConfig.from_env({"TIMER_DURATION_SECONDS": "0"})
    assert config.endpoint == ""
    assert run_timer(config, threading.Event(), policy=FAST) == EXIT_OK


def test_sigterm_during_the_wait_reports_nothing(plane_factory: Any) -> None:
    plane = plane_factory()
    stop = threading.Event()
    stop.set()
    config = _config(plane.url, TIMER_DURATION_SECONDS="3600")
    assert run_timer(config, stop, policy=FAST) == EXIT_TERMINATED
    assert plane.requests == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TIMER_DURATION_SECONDS is required"),
        ({"TIMER_DURATION_SECONDS": "five"}, "must be a number"),
        ({"TIMER_DURATION_SECONDS": "-1"}, "between 0 and 86400"),
        (
            {"TIMER_DURATION_SECONDS": "1", "CONTROL_PLANE_ENDPOINT": "ftp://x/"},
            "CONTROL_PLANE_ENDPOINT",
        ),
    ],
)
def test_bad_environment_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(TimerConfigError, match=message):
        TimerConfig.from_env(env)


def test_host_port_endpoint_becomes_an_http_url() -> None:
    config = TimerConfig.from_env(
        {"TIMER_DURATION_SECONDS": "1", "CONTROL_PLANE_ENDPOINT": "control-plane:50053"}
    )
    assert config.endpoint == "http://control-plane:50053/"


def _timer_process(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobscheduler", "timer"],
        env={**os.environ, "LOG_FORMAT": "json", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_jobscheduler_timer_command_reports_and_exits_0(plane_factory: Any) -> None:
    plane = plane_factory([503])
    process = _timer_process(
        {
            "TIMER_DURATION_SECONDS": "0",
            "TIMER_NAME": "nightly",
            "CONTROL_PLANE_ENDPOINT": plane.url,
            "TIMER_ID": "job-xyz",
            "LOG_LEVEL": "debug",
        }
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert [r["body"]["timer_name"] for r in plane.requests] == ["nightly", "nightly"]
    logged = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert "completion reported" in logged


def test_jobscheduler_timer_command_stops_on_sigterm(plane_factory: Any) -> None:
    plane = plane_factory()
    process = _timer_process(
        {"TIMER_DURATION_SECONDS": "3600", "CONTROL_PLANE_ENDPOINT": plane.url}
    )
    assert process.stderr is not None
    # Wait for the runner to say it started before signalling it.
    assert "timer started" in process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == EXIT_TERMINATED
    assert plane.requests == []


def test_jobscheduler_timer_command_rejects_bad_config() -> None:
    process = _timer_process({"TIMER_DURATION_SECONDS": "soon"})
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "TIMER_DURATION_SECONDS" in stderr
