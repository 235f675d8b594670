"""Fixtures shared by the shipping tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def embedded_cluster_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    """`jobscheduler cluster`: the embedded Kubernetes API on its own, as a stand-in cluster."""
    kubeconfig = tmp_path / "kubeconfig"
    log = tmp_path / "cluster.log"
    executable = Path(sys.executable).parent / "jobscheduler"
    with log.open("w") as out:
        cluster = subprocess.Popen(
            [str(executable), "cluster", "--kubeconfig", str(kubeconfig)], stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        while not kubeconfig.exists():
            assert cluster.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no kubeconfig written:\n{log.read_text()}"
            time.sleep(0.05)
        yield kubeconfig
    finally:
        cluster.send_signal(signal.SIGINT)
        try:
            cluster.wait(timeout=15)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait()
