"""``run_standalone``: the embedded cluster as a process others connect to."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import kubernetes.client as k8s
from kubernetes import config as kube_config

from kubesim.cluster import EmbeddedCluster

SCRIPT = """
import sys
from pathlib import Path
from kubesim.cluster import run_standalone
run_standalone(port=0, kubeconfig_path=Path(sys.argv[1]), clock_speed=1.0)
"""


def test_standalone_cluster_serves_until_terminated(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Embedded Kubernetes API at http://127.0.0.1:"), first
        assert process.stdout.readline().strip() == f"kubeconfig: {kubeconfig}"
        client = kube_config.new_client_from_config(config_file=str(kubeconfig))
        try:
            namespaces = k8s.CoreV1Api(client).list_namespace()
            assert {"default", "kube-system", "kube-public"} <= {
                ns.metadata.name for ns in namespaces.items
            }
            assert k8s.VersionApi(client).get_code().major == "1"
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert kubeconfig.exists()  # a kubeconfig the caller named is left in place
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_temporary_kubeconfig_lives_as_long_as_the_cluster() -> None:
    with EmbeddedCluster(controllers=False) as cluster:
        path = cluster.kubeconfig_path
        client = kube_config.new_client_from_config(config_file=str(path))
        try:
            names = {ns.metadata.name for ns in k8s.CoreV1Api(client).list_namespace().items}
        finally:
            client.close()
        assert {"default", "kube-system", "kube-public"} <= names
    assert not path.exists()


def test_kubesim_command_serves_until_interrupted(tmp_path: Path) -> None:
    # The console script the `kubesim` distribution installs (`jobscheduler cluster` runs the same).
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "kubesim"), "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Embedded Kubernetes API at http://127.0.0.1:")
        client = kube_config.new_client_from_config(config_file=str(kubeconfig))
        try:
            assert k8s.VersionApi(client).get_code().major == "1"
        finally:
            client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
