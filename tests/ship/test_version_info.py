"""scripts/version-info.sh: what builds embed, from git or without it, read back by the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .manifests import REPO_ROOT

SCRIPT = "scripts/version-info.sh"
# Values a build passes in; cleared so the caller's environment cannot leak into a test.
BUILD_VARS = ("VERSION", "GIT_COMMIT", "GIT_DIRTY", "BUILD_DATE", "SOURCE_DATE_EPOCH")

PRINT_VERSION = "from jobscheduler.version import get_version_info as g; print(g().version)"

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def make_project(root: Path, version: str = "1.4.0") -> Path:
    """A minimal copy of the project layout the script works in."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO_ROOT / SCRIPT, root / SCRIPT)
    (root / "jobscheduler").mkdir()
    (root / "jobscheduler" / "version.py").write_text(f'BASE_VERSION = "{version}"\n')
    (root / "pyproject.toml").write_text('[project]\nname = "jobscheduler"\n')
    return root


def run_script(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in BUILD_VARS and not k.startswith("GIT_")
    }
    return subprocess.run(
        ["bash", str(root / SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**clean, **env},
        timeout=30,
    )


def info(root: Path, *args: str, **env: str) -> dict[str, str]:
    result = run_script(root, *args, **env)
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "repo")
    git(root, "init", "-q")
    (root / ".gitignore").write_text("jobscheduler/_build_info.py\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    return root


def test_outside_git_falls_back_to_the_base_version(tmp_path: Path) -> None:
    values = info(make_project(tmp_path / "plain"))
    assert values["VERSION"] == "1.4.0"
    assert values["GIT_COMMIT"] == "unknown"
    assert values["GIT_DIRTY"] == "false"
    assert values["BUILD_DATE"].endswith("Z")


@requires_git
def test_untagged_commit_is_the_base_version_plus_the_hash(repo: Path) -> None:
    values = info(repo)
    head = git(repo, "rev-parse", "HEAD")
    assert values == {
        **values,
        "VERSION": f"1.4.0+g{head[:7]}",
        "GIT_COMMIT": head,
        "GIT_DIRTY": "false",
    }


@requires_git
def test_tagged_commit_is_the_tag_and_later_commits_count_from_it(repo: Path) -> None:
    git(repo, "tag", "v2.0.1")
    assert info(repo)["VERSION"] == "2.0.1"
    (repo / "README.md").write_text("more\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "more")
    head = git(repo, "rev-parse", "--short=7", "HEAD")
    assert info(repo)["VERSION"] == f"2.0.1+1.g{head}"


@requires_git
def test_uncommitted_changes_to_tracked_files_mark_the_build_dirty(repo: Path) -> None:
    (repo / "untracked.txt").write_text("ignored for the flag\n")
    assert info(repo)["GIT_DIRTY"] == "false"
    (repo / "pyproject.toml").write_text('[project]\nname = "jobscheduler"\n# edited\n')
    values = info(repo)
    assert values["GIT_DIRTY"] == "true"
    assert values["VERSION"].endswith(".dirty")


def test_an_unpacked_sdist_keeps_the_version_it_was_made_with(tmp_path: Path) -> None:
    root = make_project(tmp_path / "sdist")
    (root / "PKG-INFO").write_text("Metadata-Version: 2.4\nVersion: 1.4.0+g1234567\n")
    assert info(root)["VERSION"] == "1.4.0+g1234567"


def test_build_args_override_and_source_date_epoch_fixes_the_date(tmp_path: Path) -> None:
    root = make_project(tmp_path / "ctx")
    values = info(root, VERSION="3.1.0", GIT_COMMIT="a" * 40, GIT_DIRTY="true")
    assert (values["VERSION"], values["GIT_COMMIT"], values["GIT_DIRTY"]) == (
        "3.1.0",
        "a" * 40,
        "true",
    )
    assert info(root, SOURCE_DATE_EPOCH="0")["BUILD_DATE"] == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("name", "value"),
    [("VERSION", 'x"; import os'), ("GIT_COMMIT", "not-a-sha"), ("GIT_DIRTY", "maybe")],
)
def test_values_that_could_corrupt_the_generated_module_are_rejected(
    tmp_path: Path, name: str, value: str
) -> None:
    root = make_project(tmp_path / "ctx")
    result = run_script(root, "--write", **{name: value})
    assert result.returncode == 2
    assert f"invalid {name}" in result.stderr
    assert not (root / "jobscheduler" / "_build_info.py").exists()


def test_written_build_info_is_what_the_package_reports(tmp_path: Path) -> None:
    # The contract with jobscheduler/version.py: an image's `jobscheduler version-full` shows the
    # values the build passed in, not whatever git says at run time.
    root = make_project(tmp_path / "ctx")
    shutil.rmtree(root / "jobscheduler")
    shutil.copytree(
        REPO_ROOT / "jobscheduler",
        root / "jobscheduler",
        ignore=shutil.ignore_patterns("_build_info.py"),
    )
    run = run_script(
        root,
        "--write",
        VERSION="5.6.7",
        GIT_COMMIT="b" * 40,
        GIT_DIRTY="true",
        BUILD_DATE="2026-01-02T03:04:05Z",
    )
    assert run.returncode == 0, run.stderr
    probe = (
        "from jobscheduler.version import get_version_info as g; v = g(); "
        "print(v.version, v.git_commit, v.git_dirty, v.build_date)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.stdout.split() == ["5.6.7", "b" * 40, "True", "2026-01-02T03:04:05Z"]


@requires_git
def test_builds_and_source_checkouts_report_the_same_version(tmp_path: Path) -> None:
    # `jobscheduler version` in a checkout (read from git at run time) and in a build of the same
    # tree (from _build_info.py written by this script) must agree; this also catches the
    # script's base version drifting from the package's.
    root = make_project(tmp_path / "checkout")
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.rmtree(root / "jobscheduler")
    ignore = shutil.ignore_patterns("_build_info.py", "__pycache__")
    shutil.copytree(REPO_ROOT / "jobscheduler", root / "jobscheduler", ignore=ignore)
    (root / ".gitignore").write_text("jobscheduler/_build_info.py\n__pycache__/\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")

    def runtime_version() -> str:
        result = subprocess.run(
            [sys.executable, "-c", PRINT_VERSION],
            cwd=root, capture_output=True, text=True, check=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        return result.stdout.strip()

    states = []
    states.append(("untagged", info(root)["VERSION"], runtime_version()))
    git(root, "tag", "v2.0.1")
    states.append(("tagged", info(root)["VERSION"], runtime_version()))
    (root / "README.md").write_text("more\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "more")
    states.append(("after the tag", info(root)["VERSION"], runtime_version()))
    (root / "README.md").write_text("edited\n")
    states.append(("dirty", info(root)["VERSION"], runtime_version()))
    assert [(state, built) for state, built, _ in states] == [
        (state, from_git) for state, _, from_git in states
    ]
