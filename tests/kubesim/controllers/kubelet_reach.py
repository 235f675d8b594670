"""Whether pod logs can work on the configured cluster: kube-apiserver serves ``pods/log`` by
connecting to the kubelet of the pod's node, which a remote API server may not reach (the
simulated kubelet running on this machine, serving on loopback, for example)."""

from __future__ import annotations

import os

import kubernetes.client as k8s
import pytest
from urllib3.exceptions import HTTPError

REAL_CLUSTER_ENV = "JOBSCHEDULER_TEST_KUBECONFIG"


def require_pod_logs(core: k8s.CoreV1Api, pod: k8s.V1Pod) -> None:
    """On a real cluster, skip (naming why) unless the API server reaches the kubelet of the
    pod's node: it asks for the kubelet's /healthz through the API server's node proxy, the
    same connection a log request takes. Nothing to check on the embedded cluster."""
    node = pod.spec.node_name
    if not os.environ.get(REAL_CLUSTER_ENV) or not node:
        return
    try:
        core.connect_get_node_proxy_with_path(node, "healthz")
    except k8s.ApiException as error:
        pytest.skip(
            f"the API server cannot reach the kubelet of node {node} for pod logs "
            f"(GET nodes/{node}/proxy/healthz: {error.status} {str(error.body or '')[:300]})"
        )
    except HTTPError as error:
        pytest.skip(f"the API server cannot reach the kubelet of node {node}: {error}")
