"""kubectl against the embedded cluster through the kubeconfig it writes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kubesim.cluster import EmbeddedCluster

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed here"),
]

JOB_MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: demo
  labels: {app: demo}
spec:
  template:
    spec:
      containers:
      - name: main
        image: busybox:1.36
        command: ["echo", "hello from demo"]
      restartPolicy: Never
"""


def kubectl(cluster: EmbeddedCluster, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(cluster.kubeconfig_path), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl {' '.join(args)} failed: {result.stderr}"
    return result.stdout


@pytest.mark.clock_speed(5)
def test_kubectl_runs_a_job_through_its_lifecycle(embedded_cluster: EmbeddedCluster) -> None:
    cluster = embedded_cluster
    assert "job.batch/demo created" in kubectl(cluster, "create", "-f", "-", stdin=JOB_MANIFEST)
    listing = kubectl(cluster, "get", "jobs")
    assert listing.splitlines()[0].split()[:3] == ["NAME", "STATUS", "COMPLETIONS"]
    assert "demo" in listing
    waited = kubectl(cluster, "wait", "--for=condition=complete", "job/demo", "--timeout=30s")
    assert "condition met" in waited
    pods = kubectl(cluster, "get", "pods", "-l", "job-name=demo")
    assert "Completed" in pods
    described = kubectl(cluster, "describe", "job", "demo")
    assert "Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed" in described
    assert "SuccessfulCreate" in described
    assert kubectl(cluster, "logs", "job/demo").strip() == "hello from demo"
    assert "Successfully assigned" in kubectl(cluster, "describe", "pods", "-l", "job-name=demo")
    deleted = kubectl(cluster, "delete", "job", "demo", "--cascade=foreground")
    assert 'job.batch "demo" deleted' in deleted
    assert "demo" not in kubectl(cluster, "get", "jobs")
    assert "demo" not in kubectl(cluster, "get", "pods")  # the pods went with it


def test_kubectl_get_watch_prints_changes(embedded_cluster: EmbeddedCluster) -> None:
    cluster = embedded_cluster
    kubectl(
        cluster,
        "create",
        "-f",
        "-",
        stdin=JOB_MANIFEST.replace("restartPolicy: Never", "restartPolicy: Never\n  suspend: true"),
    )
    watched = kubectl(cluster, "get", "jobs", "--watch", "--request-timeout=2s")
    assert "demo" in watched and "Suspended" in watched


def test_kubectl_reports_server_errors(embedded_cluster: EmbeddedCluster) -> None:
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(embedded_cluster.kubeconfig_path), "get", "job", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert 'Error from server (NotFound): jobs.batch "nope" not found' in result.stderr


ALICE_MANIFESTS = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: job-reader}
rules:
- {apiGroups: [batch], resources: [jobs], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: job-reader}
subjects:
- {kind: ServiceAccount, name: alice, namespace: default}
"""


def test_kubectl_mints_a_service_account_token_and_acts_with_it(
    embedded_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    """kubectl authenticates with the kubeconfig's admin token (over TLS: kubectl sends
    credentials only there); a token it mints for a ServiceAccount is allowed what RBAC says."""
    # From manifests: kubectl's typed `create role` etc. send protobuf, which is not served.
    kubectl(embedded_cluster, "create", "-f", "-", stdin=ALICE_MANIFESTS)
    request = tmp_path / "request.json"
    request.write_text('{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"}')
    minted = kubectl(
        embedded_cluster,
        "create",
        "--raw",
        "/api/v1/namespaces/default/serviceaccounts/alice/token",
        "-f",
        str(request),
    )
    token = json.loads(minted)["status"]["token"]
    kubectl(embedded_cluster, "get", "jobs", f"--token={token}")  # allowed: exits 0
    result = subprocess.run(
        [
            KUBECTL,
            "--kubeconfig",
            str(embedded_cluster.kubeconfig_path),
            f"--token={token}",
            "get",
            "pods",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert 'User "system:serviceaccount:default:alice" cannot list resource "pods"' in result.stderr
