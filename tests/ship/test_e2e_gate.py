"""The end-to-end tests are collected everywhere, marked e2e, and skip with the reason when no
cluster is configured, so the default `pytest` run stays green and fast without one. They also
pass against the embedded cluster run on its own (`jobscheduler cluster`), which keeps the suite
itself working where no kind cluster exists, through the same `serve` + kubeconfig path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .manifests import REPO_ROOT


def pytest_e2e(*args: str, kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOBSCHEDULER_E2E_KUBECONFIG"}
    if kubeconfig is not None:
        env["JOBSCHEDULER_E2E_KUBECONFIG"] = str(kubeconfig)
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


@pytest.mark.slow  # about 20 s: the whole e2e suite in a subprocess
def test_e2e_suite_passes_against_the_embedded_cluster(embedded_cluster_kubeconfig: Path) -> None:
    result = pytest_e2e("-m", "e2e", "-q", "-rs", kubeconfig=embedded_cluster_kubeconfig)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout.strip().splitlines()[-1]
    # The one scenario the embedded cluster cannot host: it has no Services for the timer's
    # control plane to listen behind.
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 1
    assert "has no Services" in skips[0]
