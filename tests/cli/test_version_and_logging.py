"""``version`` / ``version-full`` and the logging setup every command shares."""

from __future__ import annotations

import io
import json
import logging
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from jobscheduler.cli.main import main
from jobscheduler.logs import configure_logging, get_logger

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_version_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"[0-9][0-9A-Za-z.+_-]*\n", out)


def test_version_full_shows_commit_build_date_and_python(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["version-full"]) == 0
    out = capsys.readouterr().out
    head = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    assert out.startswith("jobscheduler ")
    if head and not (REPO_ROOT / "jobscheduler" / "_build_info.py").exists():
        assert re.search(rf"git commit: {head}(-dirty)?\n", out)
    assert "build date: " in out
    assert f"python:     {platform.python_version()}" in out


def test_outside_git_without_build_info_falls_back_to_unknown(tmp_path: Path) -> None:
    copy = tmp_path / "jobscheduler"
    shutil.copytree(
        REPO_ROOT / "jobscheduler", copy, ignore=shutil.ignore_patterns("_build_info.py")
    )
    probe = "from jobscheduler.cli.main import main; main(['version-full'])"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert "git commit: unknown" in result.stdout
    assert "build date: unknown" in result.stdout


@pytest.fixture
def reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers = []
    for name in ("grpc", "urllib3", "kubernetes", "asyncio"):
        logging.getLogger(name).setLevel(logging.NOTSET)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.usefixtures("reset_logging")
def test_json_off_a_terminal_with_context_and_stdlib_records() -> None:
    out = io.StringIO()
    configure_logging("info", "auto", stream=out)
    structlog.contextvars.bind_contextvars(request_id="r-9")
    try:
        get_logger("jobscheduler.test").info("hello", job_id="job-1")
        logging.getLogger("somelib").warning("from %s", "stdlib")
        get_logger("jobscheduler.test").debug("hidden at info")
    finally:
        structlog.contextvars.clear_contextvars()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "hello"
    assert (first["job_id"], first["request_id"], first["level"]) == ("job-1", "r-9", "info")
    assert second["event"] == "from stdlib"
    assert (second["level"], second["logger"]) == ("warn", "somelib")


@pytest.mark.usefixtures("reset_logging")
def test_console_on_a_terminal() -> None:
    out = _Terminal()
    configure_logging("info", "auto", stream=out)
    get_logger("jobscheduler.test").info("hello", job_id="job-1")
    text = out.getvalue()
    assert "hello" in text and "job_id" in text
    assert not text.lstrip().startswith("{")


@pytest.mark.usefixtures("reset_logging")
def test_trace_adds_library_debug_output_that_debug_hides() -> None:
    out = io.StringIO()
    configure_logging("debug", "json", stream=out)
    logging.getLogger("urllib3.connectionpool").debug("wire detail")
    get_logger("jobscheduler.test").debug("our detail")
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["our detail"]

    out = io.StringIO()
    configure_logging("trace", "json", stream=out)
    logging.getLogger("urllib3.connectionpool").debug("wire detail")
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["wire detail"]


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="loud"):
        configure_logging("loud")
