"""README's first command, verbatim, on a copy of the repository: a fresh venv with the pip
that ``python3 -m venv`` brings (no upgrade), the development install, and the server it
starts answering health checks. CI upgrades pip before installing; a newcomer does not."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .manifests import REPO_ROOT

README = REPO_ROOT / "README.md"
INSTALL_SECONDS = 900
SERVE_START_SECONDS = 60
SERVE_PART = " && .venv/bin/jobscheduler serve "


def _first_command() -> str:
    text = README.read_text()
    match = re.search(r"```sh\n(.+?)\n```", text, re.S)
    assert match, "README has no sh block"
    return match.group(1).strip()


def _copy_of_the_repository(into: Path) -> Path:
    """The files git tracks, as a fresh clone has them (no .venv, no build output)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_first_command_is_an_install_then_serve_on_the_embedded_cluster() -> None:
    command = _first_command()
    assert command.startswith("python3 -m venv .venv && ")
    assert SERVE_PART in command
    assert "--embedded-cluster" in command.partition(SERVE_PART)[2]


@pytest.mark.slow
def test_the_first_command_installs_and_serves_with_the_pip_venv_brings(tmp_path: Path) -> None:
    repo = _copy_of_the_repository(tmp_path / "repo")
    install, _, serve_flags = _first_command().partition(SERVE_PART)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    installed = subprocess.run(
        ["bash", "-c", install],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-4000:]

    port = _free_port()
    server = subprocess.Popen(
        ["bash", "-c", f"exec .venv/bin/jobscheduler serve {serve_flags} --port {port} "
         f"--metrics-port 0 --embedded-kubeconfig {tmp_path / 'kubeconfig'}"],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVE_START_SECONDS
        answer = ""
        while time.monotonic() < deadline and server.poll() is None:
            health = subprocess.run(
                [str(repo / ".venv/bin/jobscheduler"), "health", "--server",
                 f"127.0.0.1:{port}", "--timeout", "2"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            answer = health.stdout.strip()
            if health.returncode == 0:
                break
            time.sleep(0.5)
        assert answer == f"127.0.0.1:{port}: SERVING", answer
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(10)
            assert server.stderr is not None
            server.stderr.close()
