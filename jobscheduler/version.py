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
    commit = _git(repo, "rev-parse", "HEAD")
    if not commit:
        return None
    dirty = bool(_git(repo, "status", "--porcelain", "--untracked-files=no"))
    return VersionInfo(
        version=_describe(repo, dirty),
        git_commit=commit,
        git_dirty=dirty,
        # Not a build: report when the checked-out commit was made.
        build_date=_git(repo, "show", "-s", "--format=%cI", "HEAD") or UNKNOWN,
        python_version=platform.python_version(),
    )


def _describe(repo: Path, dirty: bool) -> str:
    """The same scheme as scripts/version-info.sh, so a checkout and its image agree:
    ``1.2.3`` on tag v1.2.3, ``1.2.3+4.gabc1234`` after it, ``<package>+gabc1234`` untagged,
    with ``.dirty`` appended to the local part for uncommitted changes."""
    short = _git(repo, "rev-parse", "--short=7", "HEAD") or UNKNOWN
    described = _git(repo, "describe", "--tags", "--long", "--match", "v[0-9]*")
    local: list[str] = []
    if described:
        tag_and_distance, _, _hash = described.rpartition("-g")
        tag, _, distance = tag_and_distance.rpartition("-")
        base = tag.removeprefix("v")
        if distance != "0":
            local.append(f"{distance}.g{short}")
    else:
        base = PACKAGE_VERSION.split("+", 1)[0]
        local.append(f"g{short}")
    if dirty:
        local.append("dirty")
    return f"{base}+{'.'.join(local)}" if local else base
