"""``python -m jobscheduler.embedded.controllers``: the simulated kubelet as its own process,
pointed by a kubeconfig at an API server that has no nodes of its own."""

from __future__ import annotations

import signal
import subprocess
import sys

import kubernetes.client as k8s
from lifecycle import condition, finished, job_manifest, wait_for

from jobscheduler.embedded.cluster import EmbeddedCluster


def test_standalone_kubelet_and_job_controller_finish_a_job() -> None:
    with EmbeddedCluster(controllers=False) as cluster:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jobscheduler.embedded.controllers",
                "--kubeconfig",
                str(cluster.kubeconfig_path),
                "--controllers",
                "job",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
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
