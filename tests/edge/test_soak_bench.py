"""bench/soak.py runs end to end (a few seconds of it): both child processes start, the load
runs, the server stops cleanly, and the report is printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_reports_and_stops_its_processes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "soak.py"),
            "--minutes",
            "0.1",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("soak: 0.1 min, 1 workers")
    assert any(line.startswith("| minute | server RSS MiB | threads | open fds") for line in lines)
    assert any(line.startswith("| 0 | ") for line in lines)
    assert lines[-1] == "server exit code: 0"
