"""Rendering the kustomizations under k8s/ and finding objects in them."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "k8s"
# Every kustomization users apply: the base and each overlay.
KUSTOMIZATIONS = ("base", "overlays/kind", "overlays/multi-namespace")
# Opt-in components, with the overlay each is meant for.
COMPONENTS = {"components/cluster-job-list": "overlays/multi-namespace"}
# Components made of custom resources (Prometheus Operator), which the upstream schemas and a
# plain API server do not know: checked by tests/ship/test_monitoring.py instead.
CRD_COMPONENTS = {"components/monitoring": "base"}
# The Kubernetes versions the manifests must be valid for (README "Deploying").
KUBERNETES_VERSIONS = ("1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0")

KUBECTL = shutil.which("kubectl")
requires_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not on PATH: kustomizations cannot be rendered here"
)

Manifest = dict[str, Any]


def discovered(kind: str) -> list[str]:
    """Directories under k8s/ whose kustomization.yaml is of `kind` (Kustomization or
    Component), relative to k8s/."""
    found = []
    for path in K8S_DIR.rglob("kustomization.yaml"):
        if yaml.safe_load(path.read_text()).get("kind", "Kustomization") == kind:
            found.append(str(path.parent.relative_to(K8S_DIR)))
    return sorted(found)


@functools.cache
def render_text(kustomization: str, component: str | None = None) -> str:
    """`kubectl kustomize` of a kustomization under k8s/, optionally with a component added
    (through a scratch kustomization, as a user's overlay would add it)."""
    assert KUBECTL is not None
    target = K8S_DIR / kustomization
    scratch = None
    if component is not None:
        scratch = tempfile.TemporaryDirectory()
        root = Path(scratch.name)
        (root / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "resources": [os.path.relpath(target, root)],
                    "components": [os.path.relpath(K8S_DIR / component, root)],
                }
            )
        )
        target = root
    result = subprocess.run(
        [KUBECTL, "kustomize", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if scratch is not None:
        scratch.cleanup()
    assert result.returncode == 0, f"kubectl kustomize {kustomization} failed:\n{result.stderr}"
    return result.stdout


def render(kustomization: str, component: str | None = None) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(render_text(kustomization, component)) if doc]


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [d for d in of_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_spec(docs: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = one(docs, "Deployment", "jobscheduler")["spec"]["template"]["spec"]
    return spec


def server_container(docs: list[Manifest]) -> dict[str, Any]:
    containers = pod_spec(docs)["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def config_data(docs: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = one(docs, "ConfigMap", "jobscheduler-config")["data"]
    return data


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in a nested manifest."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, f"{path}[{index}]")
