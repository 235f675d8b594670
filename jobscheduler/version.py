"""Version information: baked in at build time, else read from git, else from the distribution.

``scripts/version-info.sh`` writes ``jobscheduler/_build_info.py`` (VERSION, GIT_COMMIT,
GIT_DIRTY, BUILD_DATE) when the container image is built, because the image has no ``.git``.
In a source checkout the same facts come from git at run time.

This module is also the distribution's version: pyproject.toml's dynamic version reads
``DISTRIBUTION_VERSION``, so setuptools writes into a wheel's metadata exactly what
``jobscheduler version`` reports for the tree it was built from. setuptools loads this file on
its own (not through the package), so it imports nothing but the standard library.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import importlib.util
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The next release: the base of untagged builds' versions (``0.1.0+gabc1234``) and the version of
# a source tree outside git. A release tag (v1.2.3) takes precedence over it.
BASE_VERSION = "0.1.0"

UNKNOWN = "unknown"
DISTRIBUTION = "jobscheduler"


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
    source_root = Path(__file__).resolve().parent.parent
    from_git = _from_git(source_root)
    if from_git is not None:
        return from_git
    return VersionInfo(
        version=_from_sdist(source_root) or _from_installed_distribution() or BASE_VERSION,
        git_commit=UNKNOWN,
        git_dirty=False,
        build_date=UNKNOWN,
        python_version=platform.python_version(),
    )


def _from_sdist(source_root: Path) -> str | None:
    """An unpacked sdist has no .git but its PKG-INFO: a wheel built from it keeps its version."""
    pkg_info = source_root / "PKG-INFO"
    if not pkg_info.is_file():
        return None
    version = email.parser.Parser().parsestr(pkg_info.read_text(encoding="utf-8"))["Version"]
    return str(version) if version else None


def _from_installed_distribution() -> str | None:
    """The installed wheel's metadata version, when this very file is the one it installed (a
    wheel built without build info, say by a plain ``pip wheel .``). An unrelated installation
    (e.g. a copied tree run beside a development install) does not count."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    installed = Path(str(dist.locate_file(f"{DISTRIBUTION}/version.py")))
    if not installed.is_file() or installed.resolve() != Path(__file__).resolve():
        return None
    return dist.version


def __getattr__(name: str) -> str:
    # Computed on demand (it may run git), so importing this module stays cheap.
    if name == "DISTRIBUTION_VERSION":
        return get_version_info().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _from_build_info() -> VersionInfo | None:
    # By path, not by name: setuptools loads this module without the package being importable.
    path = Path(__file__).resolve().with_name("_build_info.py")
    spec = importlib.util.spec_from_file_location("jobscheduler._build_info", path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return VersionInfo(
        version=str(getattr(module, "VERSION", BASE_VERSION) or BASE_VERSION),
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
        base = BASE_VERSION
        local.append(f"g{short}")
    if dirty:
        local.append("dirty")
    return f"{base}+{'.'.join(local)}" if local else base
