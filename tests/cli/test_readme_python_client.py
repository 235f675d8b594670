"""README.md's Python client example, run as written (only the address differs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    section = text[text.index("\n## Python client\n") :]
    match = re.search(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert match, "the Python client section has no python block"
    return match.group(1)


@pytest.mark.clock_speed(60)  # the example's 30 s timer ends in half a second
def test_python_client_example_runs(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _example()
    assert '"localhost:50054"' in code
    exec(compile(code.replace('"localhost:50054"', repr(target)), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert "JOB_STATUS_SUCCEEDED Completed" in printed  # the watch ran until the job ended
    assert any(line.endswith(" my-timer") for line in printed)  # iter_jobs found it
    assert printed[-1].startswith("StatusCode.INVALID_ARGUMENT [('timer_job.duration_seconds',")
