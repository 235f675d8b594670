"""Version information: baked in at image build time, else read from git, else "unknown".

``scripts/version-info.sh`` writes ``jobscheduler/_build_info.py`` (VERSION, GIT_COMMIT,
GIT_DIRTY, BUILD_DATE) when the container image is built, because the image has no ``.git``.
In a source checkout the same facts come from git at run time.
"""

from __future__ import annotations

import importlib
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jobscheduler import __version__

PACKAGE_VERSION = __version__

UNKNOWN = "unknown"


@dataclass(frozen=True)
class VersionInfo:
    version: str
    git_commit: str
    git_dirty: bool
    build_date: str
    python_version: str

    @property
    def commit_label(self) -> str:
        """Commit hash with a ``-dirty`` suffix when the tree had uncommitted changes."""
        return f"{self.git_commit}-dirty" if self.git_dirty else self.git_commit

    def short(self) -> str:
        return self.version

    def full(self) -> str:
        return (
            f"jobscheduler {self.version}\n"
            f"  git commit: {self.commit_label}\n"
            f"  build date: {self.build_date}\n"
            f"  python:     {self.python_version}"
        )


def get_version_info() -> VersionInfo:
    baked = _from_build_info()
    if baked is not None:
        return baked
    from_git = _from_git(Path(__file__).resolve().parent.parent)
    if from_git is not None:
        return from_git
    return VersionInfo(
        version=PACKAGE_VERSION,
        git_commit=UNKNOWN,
        git_dirty=False,
        build_date=UNKNOWN,
        python_version=platform.python_version(),
    )


def _from_build_info() -> VersionInfo | None:
    try:
        module = importlib.import_module("jobscheduler._build_info")
    except ImportError:
        return None
    return VersionInfo(
        version=str(getattr(module, "VERSION", PACKAGE_VERSION) or PACKAGE_VERSION),
        git_commit=str(getattr(module, "GIT_COMMIT", UNKNOWN) or UNKNOWN),
        git_dirty=_truthy(getattr(module, "GIT_DIRTY", False)),
        build_date=str(getattr(module, "BUILD_DATE", UNKNOWN) or UNKNOWN),
        python_version=platform.python_version(),
    )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "dirty")
    return bool(value)


def _git(repo: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip()


def _from_git(repo: Path) -> VersionInfo | None:
    if not (repo / ".git").exists():
        return None
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    described = _git(repo, "describe", "--tags", "--always", "--dirty") or commit
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    commit_date = _git(repo, "show", "-s", "--format=%cI", "HEAD") or UNKNOWN
    # Without tags, `git describe` gives only the hash; lead with the package version then.
    version = described if _has_tag(repo) else f"{PACKAGE_VERSION}+g{described}"
    return VersionInfo(
        version=version,
        git_commit=commit,
        git_dirty=bool(status),
        # Not built: report when the checked-out commit was made.
        build_date=commit_date,
        python_version=platform.python_version(),
    )


def _has_tag(repo: Path) -> bool:
    return _git(repo, "describe", "--tags", "--abbrev=0") is not None
