"""The simulated node: registered and kept Ready on API servers that have Nodes.

On a real control plane the pod garbage collector deletes pods bound to a node that does not
exist, and the node lifecycle controller evicts pods from a node that stops reporting, so the
simulated kubelet registers ``jobscheduler-sim-node`` and renews its Ready condition, as KWOK
does. The embedded API server has no nodes resource; there the heartbeat simply stops.

With a ``NodeEndpoint`` (the simulated kubelet serving its HTTPS API, ``kubelet_server``), the
node advertises that address and ``status.daemonEndpoints.kubeletEndpoint.Port``, which is
where kube-apiserver sends ``pods/log`` requests.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.timeutil import format_time

log = logging.getLogger(__name__)

NODE_NAME = "jobscheduler-sim-node"
HOST_IP = "10.0.0.10"
MERGE_PATCH = "application/merge-patch+json"
# Clock seconds between status heartbeats (the kubelet's default nodeStatusUpdateFrequency).
HEARTBEAT_SECONDS = 10.0
_CAPACITY = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}


@dataclass(frozen=True)
class NodeEndpoint:
    """Where the API server reaches this node's kubelet API."""

    address: str
    port: int


def _addresses(endpoint: NodeEndpoint | None) -> list[JSON]:
    if endpoint is None:
        return [
            {"type": "InternalIP", "address": HOST_IP},
            {"type": "Hostname", "address": NODE_NAME},
        ]
    # kube-apiserver dials the first address of its --kubelet-preferred-address-types that
    # the node lists (Hostname first by default), and nothing resolves the node's name: every
    # type it may prefer carries the reachable address.
    return [
        {"type": "InternalIP", "address": endpoint.address},
        {"type": "Hostname", "address": endpoint.address},
    ]


def node_manifest() -> JSON:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "jobscheduler-simulated",
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {},
    }


def node_status(clock: Clock, endpoint: NodeEndpoint | None = None) -> JSON:
    now = format_time(clock.now())
    conditions = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    status: JSON = {
        "capacity": dict(_CAPACITY),
        "allocatable": dict(_CAPACITY),
        "addresses": _addresses(endpoint),
        "conditions": [
            {
                "type": kind,
                "status": value,
                "reason": reason,
                "message": "simulated by jobscheduler",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }
            for kind, value, reason in conditions
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.31.0-jobscheduler-sim",
            "kubeProxyVersion": "",
            "containerRuntimeVersion": "simulated://1",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "osImage": "simulated",
            "kernelVersion": "",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
        },
    }
    if endpoint is not None:
        status["daemonEndpoints"] = {"kubeletEndpoint": {"Port": endpoint.port}}
    return status


class NodeHeartbeat:
    def __init__(self, api: ClusterAPI, clock: Clock, endpoint: NodeEndpoint | None = None) -> None:
        self._api = api
        self._clock = clock
        self._endpoint = endpoint
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="simulated-node", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def register(self) -> bool:
        """Create the node (once); False when the API server has no nodes resource."""
        try:
            self._api.create("nodes", None, node_manifest())
        except ApiError as error:
            if error.code in (404, 405):
                return False
            if error.code != 409:
                log.warning("simulated node: registering: %s", error.message)
        return True

    def beat(self) -> None:
        try:
            self._api.patch(
                "nodes",
                None,
                NODE_NAME,
                {"status": node_status(self._clock, self._endpoint)},
                MERGE_PATCH,
                subresource="status",
            )
        except ApiError as error:
            if error.code == 404:
                self.register()
            else:
                log.warning("simulated node: heartbeat: %s", error.message)

    def _run(self) -> None:
        if not self.register():
            return
        while not self._stop.is_set():
            self.beat()
            self._clock.wait(self._stop, HEARTBEAT_SECONDS)
