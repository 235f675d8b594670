"""kubectl with ConfigMaps and Leases: create from a file, get (Table output), delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubesim.cluster import EmbeddedCluster

from .test_kubectl import KUBECTL, kubectl

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed here"),
]

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
  level: "3"
binaryData:
  blob: AAEC
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: leader
spec:
  holderIdentity: replica-1
  leaseDurationSeconds: 15
  renewTime: "2026-01-01T00:00:00.000000Z"
"""


def test_kubectl_creates_lists_and_deletes_configmaps_and_leases(
    bare_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    manifest = tmp_path / "kinds.yaml"
    manifest.write_text(MANIFESTS)
    created = kubectl(bare_cluster, "create", "-f", str(manifest))
    assert "configmap/settings created" in created
    assert "lease.coordination.k8s.io/leader created" in created

    listing = kubectl(bare_cluster, "get", "configmaps,leases").splitlines()
    configmap_header = listing.index(
        next(line for line in listing if line.split()[1:2] == ["DATA"])
    )
    assert listing[configmap_header].split() == ["NAME", "DATA", "AGE"]
    assert listing[configmap_header + 1].split()[:2] == ["configmap/settings", "3"]
    lease_header = next(i for i, line in enumerate(listing) if "HOLDER" in line)
    assert listing[lease_header].split() == ["NAME", "HOLDER", "AGE"]
    assert listing[lease_header + 1].split()[:2] == [
        "lease.coordination.k8s.io/leader",
        "replica-1",
    ]
    assert kubectl(bare_cluster, "get", "cm", "settings", "-o", "jsonpath={.data.mode}") == "fast"

    deleted = kubectl(bare_cluster, "delete", "-f", str(manifest))
    assert 'configmap "settings" deleted' in deleted
    assert 'lease.coordination.k8s.io "leader" deleted' in deleted
    assert kubectl(bare_cluster, "get", "configmaps,leases", "-o", "name").strip() == ""


def test_kubectl_reports_a_configmap_over_the_size_limit(
    bare_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    # kubectl's generators (``kubectl create configmap --from-file``) send protobuf, which the
    # embedded cluster does not decode; a manifest goes as JSON.
    manifest = tmp_path / "big.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n"
        f"data: {{blob: {'x' * (1024 * 1024 + 1)}}}\n"
    )
    with pytest.raises(AssertionError, match="Too long: may not be more than 1048576 bytes"):
        kubectl(bare_cluster, "create", "-f", str(manifest))
