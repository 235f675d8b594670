"""README.md's "Job templates": every grpcurl and CLI command run as written against a server."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobscheduler.cli.main import main
from tests.cli.test_readme_grpcurl import _code_blocks, _commands, _grpcurl_argv, _run, _section
from tests.edge.live import live_server

from .support import HOOKS

REPO = Path(__file__).resolve().parents[2]
SERVER_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


@pytest.fixture
def target(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", HOOKS)
    with live_server(cluster) as server:
        yield f"127.0.0.1:{server.port}"


def _blocks() -> list[list[list[str]]]:
    return [_commands(block) for block in _code_blocks(_section("Job templates"), "sh")]


def test_every_grpcurl_example_runs(target: str) -> None:
    grpcurl, _ = _blocks()
    assert len(grpcurl) == 6
    outputs = {}
    for words in grpcurl:
        result = _run(_grpcurl_argv(words, target))
        assert result.returncode == 0, f"{shlex.join(words)}\n{result.stderr}"
        outputs[words[-1].rsplit("/", 1)[1]] = result.stdout
    status = json.loads(outputs["GetJobStatus"])
    assert status["job_info"]["template_name"] == "greet"
    assert status["job_info"]["name"] == "greet Ada"
    assert '"greet"' in outputs["ListJobTemplates"]


def _without_server_log(printed: str) -> str:
    """The CLI's own output: the server in this process logs its RPCs to the same stdout."""
    return "".join(
        line for line in printed.splitlines(keepends=True) if not SERVER_LOG_LINE.match(line)
    )


def test_every_cli_example_runs(
    target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cli = _blocks()
    assert [words[0] for words in cli] == ["jobscheduler"] * 8
    monkeypatch.chdir(REPO)  # the README's paths are relative to the repository
    printed = {}
    for words in cli:
        code = main([*words[1:], "--server", target])
        captured = capsys.readouterr()
        assert code == 0, f"{shlex.join(words)}\n{captured.err}"
        printed[shlex.join(words[1:])] = _without_server_log(captured.out)
    assert "weather-report" in printed["jobs template list"]
    assert printed["jobs template list -o name"] == "weather-report\n"
    shown = yaml.safe_load(printed["jobs template get weather-report -o yaml"])
    assert shown["name"] == "weather-report"
    assert "webhook_url (string; required)" in printed["jobs template get weather-report"]
    assert "weather report for Porto" in printed["jobs status weather-porto"]
