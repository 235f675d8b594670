"""Flags become the right settings and requests (no server needed)."""

from __future__ import annotations

import argparse
import io

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.jobs import UsageError, build_schedule_request
from jobscheduler.cli.main import build_parser
from jobscheduler.cli.serve import settings_from_args


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_serve_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRPC_PORT", "50060")
    monkeypatch.setenv("LOG_LEVEL", "error")
    monkeypatch.setenv("K8S_NAMESPACE", "from-env")
    monkeypatch.setenv("IN_CLUSTER", "true")
    settings = settings_from_args(
        parse("serve", "--port", "50061", "--log-level", "debug", "--kubeconfig", "/k")
    )
    assert settings.grpc_port == 50061
    assert settings.log_level.value == "debug"
    assert settings.k8s_namespace == "from-env"  # no flag: the environment counts
    assert settings.kubeconfig == "/k"
    assert settings.in_cluster is False  # a kubeconfig means "not in the cluster"


def test_timer_flags_build_a_timer_request() -> None:
    args = parse(
        "jobs", "schedule", "--name", "n", "--job-id", "job-1", "--namespace", "team-a",
        "--timer", "300", "--timer-name", "build-timeout", "--endpoint", "http://cp:50053",
        "--env", "A=1", "--label", "team=infra", "--annotation", "note=x",
        "--cpu", "250m", "--memory", "128Mi", "--timeout-seconds", "600", "--retries", "0",
        "--ttl", "60", "--suspended",
    )  # fmt: skip
    request = build_schedule_request(args)
    assert request.WhichOneof("job_config") == "timer_job"
    assert (request.name, request.job_id, request.namespace) == ("n", "job-1", "team-a")
    assert request.timer_job == pb.TimerJobConfig(
        duration_seconds=300,
        timer_name="build-timeout",
        control_plane_endpoint="http://cp:50053",
        env={"A": "1"},
    )
    assert dict(request.labels) == {"team": "infra"}
    assert dict(request.annotations) == {"note": "x"}
    assert (request.resources.requests.cpu, request.resources.requests.memory) == (
        "250m",
        "128Mi",
    )
    assert request.execution.timeout_seconds == 600
    assert request.execution.HasField("max_retries") and request.execution.max_retries == 0
    assert request.execution.ttl_seconds_after_finished == 60
    assert request.execution.start_suspended


def test_container_command_after_double_dash_and_schedules() -> None:
    args = parse(
        "jobs", "schedule", "--name", "c", "--image", "busybox", "--cron", "0 2 * * *",
        "--time-zone", "Europe/Berlin", "--", "sh", "-c", "echo hi",
    )  # fmt: skip
    request = build_schedule_request(args)
    assert request.container_job.image == "busybox"
    assert list(request.container_job.command) == ["sh", "-c", "echo hi"]
    assert (request.schedule.cron, request.schedule.time_zone) == ("0 2 * * *", "Europe/Berlin")


def test_start_at_needs_a_time_zone() -> None:
    ok = build_schedule_request(
        parse("jobs", "schedule", "--timer", "5", "--start-at", "2030-01-01T09:00:00Z")
    )
    assert ok.start_at.ToJsonString() == "2030-01-01T09:00:00Z"
    with pytest.raises(UsageError, match="time zone"):
        build_schedule_request(
            parse("jobs", "schedule", "--timer", "5", "--start-at", "2030-01-01T09:00:00")
        )


def test_a_whole_request_from_json_with_flags_on_top(monkeypatch: pytest.MonkeyPatch) -> None:
    text = '{"name": "from-file", "timer_job": {"duration_seconds": 10}, "labels": {"a": "b"}}'
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    request = build_schedule_request(parse("jobs", "schedule", "--request", "-", "--label", "c=d"))
    assert request.name == "from-file"
    assert request.timer_job.duration_seconds == 10
    assert dict(request.labels) == {"a": "b", "c": "d"}


def test_malformed_pairs_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--label takes KEY=VALUE"):
        build_schedule_request(parse("jobs", "schedule", "--timer", "5", "--label", "oops"))
