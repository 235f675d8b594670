"""The image installs only pyproject's runtime dependencies (not the dev extra), so the commands
the image runs must work with exactly those. Here they run with every module that only a dev
dependency provides made unimportable, which is what the image's Python environment looks like
(building the image itself needs a container engine, which these machines lack)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .manifests import REPO_ROOT

# Runs the CLI with the dev-only modules blocked, as if they were not installed.
RUNNER = """
import importlib.abc, os, sys
blocked = set(os.environ["BLOCKED_MODULES"].split(","))

class DevOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (a dev dependency)", name=name)
        return None

sys.meta_path.insert(0, DevOnly())
from jobscheduler.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""
JOBSCHEDULER = Path(sys.executable).parent / "jobscheduler"
GRPCURL = REPO_ROOT / ".venv" / "bin" / "grpcurl"
README_SCHEDULE = (
    '{"name": "my-timer", "timer_job": {"duration_seconds": 300, "timer_name": "build-timeout",'
    ' "control_plane_endpoint": "http://control-plane:50053"}}'
)


def runtime_distributions() -> set[str]:
    """pyproject's runtime dependencies and everything they need, as installed here."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(text) for text in project["dependencies"]]
    found: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        found.add(name)
        pending.extend(Requirement(text) for text in importlib.metadata.requires(name) or [])
    return found


def dev_only_modules() -> set[str]:
    runtime = runtime_distributions() | {"jobscheduler"}
    return {
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if not runtime & {canonicalize_name(d) for d in dists}
    }


def run_cli(
    *args: str, extra_env: dict[str, str] | None = None, **popen: object
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        **(extra_env or {}),
        "BLOCKED_MODULES": ",".join(sorted(dev_only_modules())),
    }
    return subprocess.Popen([sys.executable, "-c", RUNNER, *args], env=env, text=True, **popen)  # type: ignore[call-overload]


def test_the_blocked_set_is_the_dev_tooling() -> None:
    # Guards the tests below: they prove nothing if the dev tools were not blocked.
    blocked = dev_only_modules()
    assert {"pytest", "kubernetes_validate", "mypy", "grpc_tools"} <= blocked
    # The simulated cluster is a separate, development-only distribution.
    assert {"kubesim", "jsonpatch"} <= blocked
    assert not {"grpc", "kubernetes", "structlog", "pydantic_settings", "yaml"} & blocked


def test_version_full_works_with_runtime_dependencies_only() -> None:
    process = run_cli("version-full", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.startswith("jobscheduler ")


def serve_and_schedule(tmp_path: Path, *serve_args: str) -> None:
    """`jobscheduler serve` with only runtime dependencies answers health and the README's
    ScheduleJob command."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = run_cli(
            "serve", "--host", "127.0.0.1", "--port", str(port), "--metrics-port", "0",
            *serve_args, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            health = subprocess.run(
                [str(JOBSCHEDULER), "health", "--server", f"127.0.0.1:{port}"],
                capture_output=True, text=True, check=False, timeout=30,
            )  # fmt: skip
            if health.returncode == 0:
                break
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        scheduled = subprocess.run(
            [str(GRPCURL), "-plaintext", "-d", README_SCHEDULE, f"127.0.0.1:{port}",
             "jobscheduler.JobScheduler/ScheduleJob"],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        assert scheduled.returncode == 0, scheduled.stderr + log.read_text()
        assert re.search(r'"job_?[iI]d": "job-', scheduled.stdout), scheduled.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.skipif(not GRPCURL.exists(), reason="grpcurl is not installed in .venv")
def test_serve_against_a_cluster_works_with_runtime_dependencies_only(
    tmp_path: Path, embedded_cluster_kubeconfig: Path
) -> None:
    # The Deployment's path: serve against a Kubernetes API (here `jobscheduler cluster`, run
    # from the development environment).
    # (Loopback without tokens, as in the README's local example; tokens: tests/auth.)
    serve_and_schedule(
        tmp_path, "--kubeconfig", str(embedded_cluster_kubeconfig), "--auth-mode", "none"
    )


def test_serve_embedded_cluster_without_kubesim_says_how_to_install_it(tmp_path: Path) -> None:
    process = run_cli(
        "serve", "--host", "127.0.0.1", "--metrics-port", "0", "--embedded-cluster",
        "--embedded-kubeconfig", str(tmp_path / "kubeconfig"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert "pip install -e ./kubesim" in err
    assert not (tmp_path / "kubeconfig").exists()


def test_cluster_command_without_kubesim_says_how_to_install_it() -> None:
    process = run_cli("cluster", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert "pip install -e ./kubesim" in err


def test_timer_runs_and_reports_with_runtime_dependencies_only() -> None:
    # The image is also the TIMER_IMAGE: `jobscheduler timer` must work there too.
    reports: list[dict[str, object]] = []

    class ControlPlane(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reports.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    control_plane = HTTPServer(("127.0.0.1", 0), ControlPlane)
    thread = threading.Thread(target=control_plane.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        env = {
            "TIMER_DURATION_SECONDS": "1",
            "TIMER_NAME": "ship-check",
            "TIMER_ID": "job-ship",
            "CONTROL_PLANE_ENDPOINT": f"http://127.0.0.1:{control_plane.server_address[1]}",
            "LOG_LEVEL": "info",
        }
        timer = run_cli("timer", stdout=subprocess.PIPE, stderr=subprocess.PIPE, extra_env=env)
        _, err = timer.communicate(timeout=60)
        assert timer.returncode == 0, err
    finally:
        control_plane.shutdown()
        control_plane.server_close()
        thread.join()
    assert [(r["timer_id"], r["timer_name"]) for r in reports] == [("job-ship", "ship-check")]
