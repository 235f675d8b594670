"""The README's benchmark command runs and reports."""

from __future__ import annotations

import pytest

from bench.controllers import main


def test_bench_turns_over_every_job(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--jobs", "5", "--clock-speed", "100", "--idle-seconds", "0.1"]) == 0
    assert "5/5 Jobs Complete at clock speed 100" in capsys.readouterr().out
