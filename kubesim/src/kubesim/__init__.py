"""kubesim: a simulated Kubernetes cluster for development and tests (never for production).

It speaks the real REST protocol over loopback, so the real ``kubernetes`` client, kubectl and
any service run against it unchanged. No containers really run: a simulated kubelet moves pods
through their phases.

    with EmbeddedCluster(clock=ScaledClock(60)) as cluster:
        client = cluster.api_client()        # kubernetes.client.ApiClient
        cluster.faults.fail_next(1, verb="create", resource="jobs", status=503)

``ControllerManager`` runs the controllers and the kubelet over any ``ClusterAPI``: the
in-process server, or ``RestClusterAPI`` for a real control plane that has no nodes.
"""

from __future__ import annotations

from kubesim.clock import Clock, ScaledClock
from kubesim.cluster import EmbeddedCluster, run_standalone
from kubesim.clusterapi import ApiError, ClusterAPI
from kubesim.clusterapi.rest import RestClusterAPI
from kubesim.controllers import BackoffPolicy, ControllerManager
from kubesim.http.faults import FaultInjector

__all__ = [
    "ApiError",
    "BackoffPolicy",
    "Clock",
    "ClusterAPI",
    "ControllerManager",
    "EmbeddedCluster",
    "FaultInjector",
    "RestClusterAPI",
    "ScaledClock",
    "run_standalone",
]
