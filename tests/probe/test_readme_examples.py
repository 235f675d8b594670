"""The README's "Health checks and webhooks" examples, run as written against a server."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.main import main
from jobscheduler.client import JobSchedulerClient
from tests.cli.test_readme_grpcurl import README, _commands, _grpcurl_argv, _run
from tests.edge.live import live_server


def _examples() -> list[list[str]]:
    text = README.read_text()
    start = text.index("\n#### Health checks and webhooks\n")
    end = text.index("\n### ", start)
    blocks = re.findall(r"^```sh\n(.*?)^```$", text[start:end], flags=re.MULTILINE | re.DOTALL)
    return [words for block in blocks for words in _commands(block)]


@pytest.fixture
def target(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", "*.example.com")  # as the README says
    with live_server(cluster) as server:
        yield f"127.0.0.1:{server.port}"


def test_every_example_runs(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    commands = _examples()
    assert {words[0] for words in commands} == {"grpcurl", "jobscheduler"}
    for words in commands:
        if words[0] == "grpcurl":
            result = _run(_grpcurl_argv(words, target))
            assert result.returncode == 0, f"{shlex.join(words)}\n{result.stderr}"
        else:
            code = main([*words[1:], "--server", target])
            assert code == 0, f"{shlex.join(words)}\n{capsys.readouterr()}"
    with JobSchedulerClient(target) as client:
        jobs = {job.job_type for job in client.list_jobs(pb.ListJobsRequest()).jobs}
        schedules = [s.job_id for s in client.list_schedules(pb.ListSchedulesRequest()).schedules]
        ready = client.list_jobs(pb.ListJobsRequest(job_types=["health-check"])).jobs
    assert jobs == {"health-check", "webhook"}
    assert schedules == ["db-every-5m"]
    flags = [job for job in ready if job.health_check_details.target.endswith("/ready")]
    assert len(flags) == 1
