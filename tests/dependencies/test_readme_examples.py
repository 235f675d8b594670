"""The README's "Job dependencies" examples, run as written against a server."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.main import main
from jobscheduler.client import JobSchedulerClient
from tests.cli.test_readme_grpcurl import README, _commands, _grpcurl_argv, _run
from tests.edge.live import live_server
from tests.service.support import WAIT_SECONDS

pytestmark = pytest.mark.clock_speed(60)


def _examples() -> list[list[str]]:
    text = README.read_text()
    start = text.index("\n### Job dependencies\n")
    end = text.index("\n### ", start + 1)
    blocks = re.findall(r"^```sh\n(.*?)^```$", text[start:end], flags=re.MULTILINE | re.DOTALL)
    return [words for block in blocks for words in _commands(block)]


@pytest.fixture
def target(cluster: Any) -> Iterator[str]:
    with live_server(cluster) as server:
        yield f"127.0.0.1:{server.port}"


def test_every_example_runs(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    commands = _examples()
    assert [words[0] for words in commands] == [
        "grpcurl",
        "grpcurl",
        "jobscheduler",
        "jobscheduler",
    ]
    outputs = []
    for words in commands:
        if words[0] == "grpcurl":
            result = _run(_grpcurl_argv(words, target))
            assert result.returncode == 0, f"{shlex.join(words)}\n{result.stderr}"
            outputs.append(result.stdout)
        else:
            argv = words[1:]
            end = argv.index("--") if "--" in argv else len(argv)  # flags before the command
            code = main([*argv[:end], "--server", target, *argv[end:]])
            assert code == 0, f"{shlex.join(words)}\n{capsys.readouterr()}"
            outputs.append(capsys.readouterr().out)
    assert '"etl-load"' in outputs[1] and '"etl-alert"' not in outputs[1]
    assert "etl-report" in outputs[3] and "etl-alert" in outputs[3]
    expected = {
        "etl-extract": pb.JOB_STATUS_SUCCEEDED,
        "etl-load": pb.JOB_STATUS_SUCCEEDED,
        "etl-report": pb.JOB_STATUS_SUCCEEDED,
        "etl-alert": pb.JOB_STATUS_CANCELLED,  # load did not fail
    }
    with JobSchedulerClient(target) as client:
        for job_id, status in expected.items():
            info = _final(client, job_id)
            assert pb.JobStatus.Name(info.status) == pb.JobStatus.Name(status), job_id
    assert _final_reason(target, "etl-alert") == "DependencyFailed"


def _final(client: JobSchedulerClient, job_id: str) -> pb.JobInfo:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        info = client.get_job_status(job_id).job_info
        if info.status in (pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED):
            return info
        assert time.monotonic() < deadline, info
        time.sleep(0.05)


def _final_reason(target: str, job_id: str) -> str:
    with JobSchedulerClient(target) as client:
        return _final(client, job_id).reason
