"""The service installs and runs on its own: its wheel holds no simulator, and a fresh
environment with only `pip install <service wheel>` (no dev extra, no kubesim) serves against a
Kubernetes API and explains how to get the embedded cluster when asked for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

from kubesim import EmbeddedCluster

from .manifests import REPO_ROOT

PIP_SECONDS = 600
SERVE_START_SECONDS = 60


@pytest.fixture(scope="module")
def service_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service's wheel, built from the repository root as the Containerfile builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out),
         str(REPO_ROOT)],
        check=True, timeout=PIP_SECONDS,
    )  # fmt: skip
    (wheel,) = out.glob("jobscheduler-*.whl")
    return wheel


@pytest.mark.slow
def test_the_service_wheel_holds_no_simulator(service_wheel: Path) -> None:
    names = zipfile.ZipFile(service_wheel).namelist()
    assert "jobscheduler/cli/serve.py" in names  # the listing is the wheel's own
    assert not [n for n in names if n.startswith(("kubesim", "jobscheduler/embedded"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requirements = [
        line
        for line in zipfile.ZipFile(service_wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert requirements
    assert not [r for r in requirements if "kubesim" in r or "jsonpatch" in r]


@pytest.fixture(scope="module")
def service_only_venv(service_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the service wheel and its runtime dependencies (from the index or
    pip's cache), nothing else."""
    root = tmp_path_factory.mktemp("service-only") / "venv"
    venv.create(root, with_pip=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(service_wheel)],
        check=True, timeout=PIP_SECONDS, env=env,
    )  # fmt: skip
    return root


def _run(venv_root: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv_root / "bin" / args[0]), *args[1:]],
        capture_output=True, text=True, check=False, timeout=60, cwd=venv_root, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


@pytest.mark.slow
def test_the_service_alone_has_no_simulator(service_only_venv: Path) -> None:
    probe = _run(
        service_only_venv, "python", "-c",
        "import importlib.util as u; print([m for m in ('kubesim', 'jsonpatch', 'jobscheduler')"
        " if u.find_spec(m)])",
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "['jobscheduler']"


@pytest.mark.slow
def test_the_service_alone_reports_its_wheels_version(
    service_wheel: Path, service_only_venv: Path
) -> None:
    with zipfile.ZipFile(service_wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        version = Parser().parsestr(archive.read(metadata).decode())["Version"]
    result = _run(service_only_venv, "jobscheduler", "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == version


@pytest.fixture
def cluster_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    """A Kubernetes API for the service: the embedded cluster, run by this (dev) process."""
    path = tmp_path / "kubeconfig"
    with EmbeddedCluster(kubeconfig_path=path):
        yield path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_the_service_alone_serves_against_a_cluster(
    service_only_venv: Path, cluster_kubeconfig: Path, tmp_path: Path
) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(service_only_venv / "bin" / "jobscheduler"), "serve", "--host", "127.0.0.1",
             "--port", str(port), "--metrics-port", "0", "--kubeconfig", str(cluster_kubeconfig)],
            stdout=out, stderr=out, cwd=tmp_path,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while True:
            health = _run(
                service_only_venv, "jobscheduler", "health", "--server", f"127.0.0.1:{port}"
            )
            if health.returncode == 0:
                break
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert "SERVING" in health.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0, log.read_text()


@pytest.mark.slow
def test_the_service_alone_explains_how_to_get_the_embedded_cluster(
    service_only_venv: Path, tmp_path: Path
) -> None:
    result = _run(
        service_only_venv, "jobscheduler", "serve", "--host", "127.0.0.1", "--metrics-port", "0",
        "--embedded-cluster", "--embedded-kubeconfig", str(tmp_path / "kubeconfig"),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "needs the kubesim package" in result.stderr
    assert "pip install -e ./kubesim" in result.stderr
