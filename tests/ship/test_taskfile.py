"""Taskfile.yml: every documented task is listed with a description, and the tasks that need no
cluster or container engine run here."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from .manifests import REPO_ROOT

TASK = REPO_ROOT / ".venv" / "bin" / "task"
# The original service's tasks plus this project's (issue "Ship it").
REQUIRED_TASKS = {
    "tools:install", "proto:generate", "proto:lint", "test", "run", "run:debug", "build",
    "container:build", "k8s:apply", "k8s:delete", "dev", "check", "health", "version:info",
    "k8s:logs", "k8s:port-forward", "kind:up", "kind:down", "kind:load", "e2e",
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not TASK.exists(), reason="go-task is not installed in .venv (task tools:install)"
)


# Taskfile variables a developer may have exported; the tests check the defaults.
TASK_VARIABLES = ("IMAGE", "OVERLAY", "KIND_CLUSTER", "KUBE_CONTEXT", "SERVER", "VENV")


def task(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in TASK_VARIABLES}
    return subprocess.run(
        [str(TASK), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_every_required_task_is_listed_with_a_description() -> None:
    result = task("--list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {t["name"]: t["desc"] for t in json.loads(result.stdout)["tasks"]}
    missing = REQUIRED_TASKS - set(listed)
    assert not missing, missing
    assert all(listed[name].strip() for name in REQUIRED_TASKS)


def test_version_info_shows_what_a_build_embeds() -> None:
    result = task("version:info")
    assert result.returncode == 0, result.stderr
    keys = [line.split("=", 1)[0] for line in result.stdout.splitlines()]
    assert keys == ["VERSION", "GIT_COMMIT", "GIT_DIRTY", "BUILD_DATE"]


def test_proto_lint_passes() -> None:
    result = task("proto:lint")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # The kind overlay only ever goes to the kind cluster, whatever context is current.
        (["k8s:apply"], "kubectl --context kind-jobscheduler apply -k k8s/overlays/kind"),
        (["k8s:apply", "OVERLAY=k8s/base"], "] kubectl apply -k k8s/base"),
        (["k8s:delete", "OVERLAY=k8s/base", "KUBE_CONTEXT=prod"], "kubectl --context prod delete"),
        (
            ["container:build", "IMAGE=registry.example/js:1.0"],
            "scripts/container-build.sh registry.example/js:1.0",
        ),
        (["e2e"], "scripts/e2e.sh"),
    ],
)
def test_cluster_tasks_run_the_documented_commands(args: list[str], expected: str) -> None:
    # --dry prints the commands without running them: these tasks need kind or an engine.
    result = task("--dry", *args)
    assert result.returncode == 0, result.stderr
    assert expected in result.stderr


def test_build_makes_a_wheel_with_build_info_and_leaves_the_tree_clean(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Taskfile.yml", "pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__", "_build_info.py")
    shutil.copytree(REPO_ROOT / "scripts", project / "scripts", ignore=ignore)
    shutil.copytree(REPO_ROOT / "jobscheduler", project / "jobscheduler", ignore=ignore)

    result = task("build", f"VENV={REPO_ROOT / '.venv'}", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (project / "dist").glob("jobscheduler-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        build_info = archive.read("jobscheduler/_build_info.py").decode()
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata_version = Parser().parsestr(archive.read(metadata).decode())["Version"]
    # Not a git checkout: the base version and an unknown commit, in the metadata too.
    assert 'VERSION = "0.1.0"' in build_info
    assert metadata_version == "0.1.0"
    assert 'GIT_COMMIT = "unknown"' in build_info
    assert not (project / "jobscheduler" / "_build_info.py").exists()


def test_run_serves_on_the_embedded_cluster_and_health_sees_it(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = f"127.0.0.1:{port}"
    log = tmp_path / "run.log"
    flags = (
        f"--host 127.0.0.1 --port {port} --metrics-port 0 --embedded-kubeconfig {tmp_path / 'kc'}"
    )
    with log.open("w") as out:
        # Its own process group, so the interrupt below reaches task and the server like Ctrl-C.
        run = subprocess.Popen(
            [str(TASK), "run", "--", *flags.split()],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while (health := task("health", f"SERVER={server}")).returncode != 0:
            assert run.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text() + health.stdout + health.stderr
            time.sleep(0.2)
        assert f"{server}: SERVING" in health.stdout
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
