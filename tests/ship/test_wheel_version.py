"""One version everywhere: a wheel's metadata version is what `jobscheduler version` prints once
that wheel is installed, and what the tree it was built from reports: from a git checkout, from
the container build's context (no .git, build args baked in) and from an unpacked sdist."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from .manifests import REPO_ROOT

pytestmark = pytest.mark.slow  # each test builds (and installs) a wheel

BUILD_SECONDS = 300
BUILD_VARS = ("VERSION", "GIT_COMMIT", "GIT_DIRTY", "BUILD_DATE", "SOURCE_DATE_EPOCH")
requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _env(**extra: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in (*BUILD_VARS, "PYTHONPATH") and not k.startswith("GIT_")
    }
    return {**clean, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _run(cmd: list[str], cwd: Path, **extra: str) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=BUILD_SECONDS,
        env=_env(**extra),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def copy_build_context(target: Path) -> Path:
    """What the Containerfile's builder stage copies in (.dockerignore): no .git, no kubesim."""
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "_build_info.py")
    shutil.copytree(REPO_ROOT / "jobscheduler", target / "jobscheduler", ignore=ignore)
    (target / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts/version-info.sh", target / "scripts/version-info.sh")
    return target


def build_wheel(project: Path, out: Path) -> Path:
    # As scripts/build-wheel.sh and the Containerfile build it (without isolation: offline).
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(project)],
        cwd=project,
    )  # fmt: skip
    (wheel,) = out.glob("jobscheduler-*.whl")
    return wheel


def metadata_version(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return str(Parser().parsestr(archive.read(name).decode())["Version"])


def installed_version(wheel: Path, tmp_path: Path) -> str:
    """`jobscheduler version` from an installation of the wheel alone (its dependencies come from
    this environment), run away from any source tree."""
    target = tmp_path / "installed"
    _run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--target", str(target), str(wheel)],
        cwd=tmp_path,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = [str(target / "bin" / "jobscheduler"), "version"]
    return _run(command, elsewhere, PYTHONPATH=str(target))


def checkout_version(project: Path) -> str:
    probe = "from jobscheduler.version import get_version_info as g; print(g().version)"
    return _run([sys.executable, "-c", probe], project, PYTHONPATH=str(project))


def git(root: Path, *args: str) -> None:
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], root)


@requires_git
def test_a_wheel_from_a_checkout_carries_the_version_it_reports(tmp_path: Path) -> None:
    project = copy_build_context(tmp_path / "checkout")
    (project / ".gitignore").write_text("__pycache__/\nbuild/\n*.egg-info/\n")
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "initial")
    git(project, "tag", "v2.3.0")
    (project / "README.md").write_text("one more commit\n")
    git(project, "commit", "-q", "-am", "more")
    expected = checkout_version(project)
    assert expected.startswith("2.3.0+1.g")

    wheel = build_wheel(project, tmp_path / "dist")

    assert wheel.name.startswith(f"jobscheduler-{expected}-")
    assert metadata_version(wheel) == expected
    assert installed_version(wheel, tmp_path) == expected


def test_the_container_build_path_puts_the_build_args_version_in_the_wheel(tmp_path: Path) -> None:
    # The Containerfile's builder: build args -> version-info.sh --write -> pip wheel, no .git.
    context = copy_build_context(tmp_path / "context")
    _run(
        ["bash", "scripts/version-info.sh", "--write"], context,
        VERSION="1.2.3+4.gabcdef0", GIT_COMMIT="abcdef0" + "0" * 33, GIT_DIRTY="false",
    )  # fmt: skip

    wheel = build_wheel(context, tmp_path / "dist")

    assert metadata_version(wheel) == "1.2.3+4.gabcdef0"
    assert installed_version(wheel, tmp_path) == "1.2.3+4.gabcdef0"


def test_a_wheel_from_an_unpacked_sdist_keeps_the_sdist_version(tmp_path: Path) -> None:
    # The sdist is made where the version is known (here: baked build info); the wheel built from
    # the unpacked sdist, with neither .git nor build info, must not fall back to the base version.
    context = copy_build_context(tmp_path / "context")
    _run(["bash", "scripts/version-info.sh", "--write"], context, VERSION="4.5.6+g1234567")
    sdist_dir = tmp_path / "sdist"
    sdist_name = _run(
        [sys.executable, "-c",
         f"from setuptools import build_meta as b; print(b.build_sdist({str(sdist_dir)!r}))"],
        context,
    ).splitlines()[-1]  # fmt: skip
    assert sdist_name == "jobscheduler-4.5.6+g1234567.tar.gz"
    with tarfile.open(sdist_dir / sdist_name) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    for baked in unpacked.rglob("_build_info.py"):
        baked.unlink()

    wheel = build_wheel(unpacked, tmp_path / "dist")

    assert metadata_version(wheel) == "4.5.6+g1234567"
    assert installed_version(wheel, tmp_path) == "4.5.6+g1234567"
