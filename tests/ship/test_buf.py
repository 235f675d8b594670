"""buf lint is clean, with only the documented, compatibility-driven exceptions."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from .manifests import REPO_ROOT

BUF = REPO_ROOT / ".venv" / "bin" / "buf"


@pytest.mark.skipif(not BUF.exists(), reason="buf is not installed in .venv (task tools:install)")
def test_buf_lint_passes() -> None:
    result = subprocess.run(
        [str(BUF), "lint"], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_exceptions_are_only_the_documented_ones() -> None:
    config = yaml.safe_load((REPO_ROOT / "buf.yaml").read_text())["lint"]
    assert config["use"] == ["STANDARD"]
    # The unversioned package and the service name are the original contract's wire names.
    assert config["except"] == ["PACKAGE_VERSION_SUFFIX", "SERVICE_SUFFIX"]
    # Streaming RPCs send domain messages (JobEvent, LogChunk), scoped to the one proto file.
    assert config["ignore_only"] == {
        "RPC_REQUEST_RESPONSE_UNIQUE": ["proto/jobscheduler/jobscheduler.proto"],
        "RPC_RESPONSE_STANDARD_NAME": ["proto/jobscheduler/jobscheduler.proto"],
    }
