"""``python -m kubesim.controllers``: the simulated kubelet as its own process,
pointed by a kubeconfig at an API server that has no nodes of its own."""

from __future__ import annotations

import http.client
import re
import signal
import ssl
import subprocess
import sys

import kubernetes.client as k8s

from kubesim.cluster import EmbeddedCluster

from .lifecycle import condition, finished, job_manifest, wait_for


def standalone(cluster: EmbeddedCluster, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubesim.controllers",
            "--kubeconfig",
            str(cluster.kubeconfig_path),
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_standalone_kubelet_and_job_controller_finish_a_job() -> None:
    with EmbeddedCluster(controllers=False) as cluster:
        process = standalone(cluster, "--controllers", "job")
        client = cluster.api_client()
        try:
            batch = k8s.BatchV1Api(client)
            batch.create_namespaced_job("default", job_manifest("standalone"))
            job = wait_for(
                lambda: batch.read_namespaced_job("standalone", "default"), finished, "the job"
            )
            assert condition(job, "Complete") is not None
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
            client.close()
    assert process.returncode == 0, output
    assert "simulating pods on https://127.0.0.1:" in output  # the kubeconfig names TLS


def test_standalone_kubelet_serves_pod_logs_on_the_port_it_prints() -> None:
    with EmbeddedCluster(controllers=False) as cluster:
        process = standalone(cluster, "--node-ip", "127.0.0.1", "--kubelet-port", "0")
        try:
            assert process.stdout is not None
            line = ""
            while "kubelet API" not in line:
                line = process.stdout.readline()
                assert line, "the simulated kubelet exited before serving"
            match = re.search(r"https://127\.0\.0\.1:(\d+)", line)
            assert match is not None, line
            context = ssl._create_unverified_context()
            connection = http.client.HTTPSConnection(
                "127.0.0.1", int(match.group(1)), context=context
            )
            connection.request("GET", "/healthz")
            assert connection.getresponse().read() == b"ok"
            connection.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
    assert process.returncode == 0
