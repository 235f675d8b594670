"""`kubectl apply --dry-run=client -f -` accepts every rendered kustomization, with no cluster.

kubectl cannot do a client dry-run offline (it needs discovery and GETs each object), so it talks
to a loopback discovery-only server (discovery_server.py). `--validate=false` because schema
validation is test_manifest_schemas.py's job, done against the upstream schemas per version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .discovery_server import DiscoveryServer
from .manifests import (
    COMPONENTS,
    KUBECTL,
    KUSTOMIZATIONS,
    Manifest,
    render,
    render_text,
    requires_kubectl,
)

pytestmark = [requires_kubectl, pytest.mark.kubectl]


@pytest.fixture(scope="module")
def offline_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    server = DiscoveryServer()
    server.start()
    path = tmp_path_factory.mktemp("kube") / "config"
    server.write_kubeconfig(path)
    yield path
    server.stop()


def kubectl_apply_dry_run(
    kubeconfig: Path, cache_dir: Path, manifests: str
) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run(
        [
            KUBECTL,
            "--kubeconfig",
            str(kubeconfig),
            "--cache-dir",
            str(cache_dir),
            "apply",
            "--dry-run=client",
            "--validate=false",
            "-f",
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


TARGETS = [(k, None) for k in KUSTOMIZATIONS] + [(o, c) for c, o in COMPONENTS.items()]


@pytest.mark.parametrize(("kustomization", "component"), TARGETS)
def test_client_dry_run_creates_every_object(
    kustomization: str, component: str | None, offline_kubeconfig: Path, tmp_path: Path
) -> None:
    result = kubectl_apply_dry_run(
        offline_kubeconfig, tmp_path, render_text(kustomization, component)
    )
    assert result.returncode == 0, result.stderr
    created = set(result.stdout.splitlines())
    expected = {
        f"{_resource_prefix(doc)}/{doc['metadata']['name']} created (dry run)"
        for doc in render(kustomization, component)
    }
    assert created == expected


def test_client_dry_run_fails_for_an_unknown_kind(offline_kubeconfig: Path, tmp_path: Path) -> None:
    # Guards the test above: the stand-in server must not accept whatever it is sent.
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    result = kubectl_apply_dry_run(offline_kubeconfig, tmp_path, widget)
    assert result.returncode != 0
    assert "Widget" in result.stderr


def _resource_prefix(doc: Manifest) -> str:
    """kubectl prints `kind.group/name`, or `kind/name` for the core API."""
    kind, api_version = doc["kind"].lower(), doc["apiVersion"]
    return f"{kind}.{api_version.split('/')[0]}" if "/" in api_version else kind
