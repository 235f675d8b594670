"""Every grpcurl command of README.md's "gRPC API by example", run as written against a server.

Only the address differs. A user copies these lines; when the API or the README drifts apart,
this fails and names the command.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
GRPCURL = str(Path(sys.executable).parent / "grpcurl")
README_ADDRESS = "localhost:50054"


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def _commands(block: str) -> list[list[str]]:
    """Shell commands of a block: continued lines and quotes spanning lines joined."""
    commands: list[list[str]] = []
    pending = ""
    for line in block.splitlines():
        pending += line + "\n"
        try:
            words = shlex.split(pending.replace("\\\n", " "), comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        if pending.rstrip().endswith("\\"):
            continue
        if words:
            commands.append(words)
        pending = ""
    assert not pending.strip(), f"unterminated command in README: {pending!r}"
    return commands


def _grpcurl_argv(words: list[str], target: str) -> list[str]:
    assert words[0] == "grpcurl", words
    assert README_ADDRESS in words, words
    return [GRPCURL, *(target if word == README_ADDRESS else word for word in words[1:])]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def _first_event_of_endless_watch(argv: list[str]) -> str:
    """WatchJobs runs until Ctrl-C: read until the first event has arrived, then stop it."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while "TYPE_INITIAL" not in seen:
            line = process.stdout.readline()
            assert line, f"the watch ended before its first event: {seen}"
            assert time.monotonic() < deadline, "no event within 30 s"
            seen += line
    finally:
        process.terminate()
        process.communicate(timeout=30)
    return seen


def test_every_grpcurl_example_runs(target: str) -> None:
    blocks = _code_blocks(_section("gRPC API by example"), "sh")
    commands = [words for block in blocks for words in _commands(block)]
    methods = {words[-1] for words in commands}
    assert "jobscheduler.JobScheduler/ScheduleJob" in methods and len(commands) >= 15

    for words in commands:
        argv = _grpcurl_argv(words, target)
        if words[-1].endswith("/WatchJobs"):
            assert "TYPE_INITIAL" in _first_event_of_endless_watch(argv)
            continue
        result = _run(argv)
        if '{"job_id": "job-abc123"}' in words:
            # The README says job-abc123 stands for a real id and answers NOT_FOUND as written.
            assert "Code: NotFound" in result.stderr, result.stderr
            continue
        assert result.returncode == 0, f"{shlex.join(words)}\n{result.stderr}"
        if words[-1].endswith("/GetJobLogs"):
            assert '"text": "hello\\n"' in result.stdout, result.stdout
        if words[-1].endswith("/ScheduleJobs"):  # the second item's own error, at its path
            assert '"requests[1].timer_job.duration_seconds"' in result.stdout
        if words[-1].endswith("/Check"):
            assert '"status": "SERVING"' in result.stdout


def test_error_transcript_is_what_grpcurl_prints(target: str) -> None:
    transcripts = [
        block
        for block in _code_blocks(_section("gRPC API by example"), "")
        if block.startswith("$ grpcurl")
    ]
    assert transcripts
    for transcript in transcripts:
        command, *expected = transcript.rstrip("\n").splitlines()
        words = shlex.split(command.removeprefix("$ "))
        result = _run(_grpcurl_argv(words, target))
        assert result.returncode != 0
        assert result.stderr.rstrip("\n").splitlines() == expected
