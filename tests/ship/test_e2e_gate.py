"""The end-to-end tests are collected everywhere, marked e2e, and skip with the reason when no
cluster is configured, so the default `pytest` run stays green and fast without one."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .manifests import REPO_ROOT


def pytest_e2e(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOBSCHEDULER_E2E_KUBECONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/e2e", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_every_e2e_test_carries_the_marker() -> None:
    result = pytest_e2e("--collect-only", "-q", "-m", "not e2e")
    # Every collected test is deselected by `-m "not e2e"`, and there are some.
    assert re.search(r"no tests collected \([1-9]\d* deselected\)", result.stdout), result.stdout


def test_without_a_cluster_every_e2e_test_skips_with_the_reason() -> None:
    result = pytest_e2e("-q", "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "skipped" in summary
    assert "passed" not in summary
    assert "failed" not in summary
    assert "error" not in summary
    assert "JOBSCHEDULER_E2E_KUBECONFIG is not set" in result.stdout
