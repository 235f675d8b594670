"""A loopback stand-in for an API server that only answers discovery, for offline client dry-runs.

`kubectl apply --dry-run=client` still needs the server's discovery documents (to map each kind to
its REST resource) and GETs every object (to choose create or patch); with no server it fails. This
server knows the resources the manifests use and holds no objects, so every apply is a dry-run
create. A kind missing from RESOURCES makes kubectl fail with "no matches for kind", as a cluster
without that API would.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# group/version -> [(plural, kind, namespaced)]
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [
        ("namespaces", "Namespace", False),
        ("serviceaccounts", "ServiceAccount", True),
        ("configmaps", "ConfigMap", True),
        ("services", "Service", True),
        ("pods", "Pod", True),
    ],
    "apps/v1": [("deployments", "Deployment", True)],
    "batch/v1": [("jobs", "Job", True), ("cronjobs", "CronJob", True)],
    "rbac.authorization.k8s.io/v1": [
        ("roles", "Role", True),
        ("rolebindings", "RoleBinding", True),
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False),
    ],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "networking.k8s.io/v1": [("networkpolicies", "NetworkPolicy", True)],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _resource_list(group_version: str) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            {
                "name": plural,
                "singularName": "",
                "namespaced": namespaced,
                "kind": kind,
                "verbs": VERBS,
            }
            for plural, kind, namespaced in RESOURCES[group_version]
        ],
    }


def _group_list() -> dict[str, Any]:
    versions: dict[str, list[str]] = defaultdict(list)
    for group_version in RESOURCES:
        if "/" in group_version:
            group, version = group_version.split("/")
            versions[group].append(version)
    groups = []
    for group, group_versions in versions.items():
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in group_versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _not_found(path: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": f"{path} not found",
        "reason": "NotFound",
        "code": 404,
    }


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/api":
            self._reply(200, {"kind": "APIVersions", "versions": ["v1"]})
        elif path == "/apis":
            self._reply(200, _group_list())
        elif path == "/api/v1":
            self._reply(200, _resource_list("v1"))
        elif path.startswith("/apis/") and path.removeprefix("/apis/") in RESOURCES:
            self._reply(200, _resource_list(path.removeprefix("/apis/")))
        else:
            # Objects (the cluster is empty), OpenAPI documents, unknown groups.
            self._reply(404, _not_found(path))

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: kubectl's requests are not test output."""


class DiscoveryServer:
    """Serves on 127.0.0.1 (an ephemeral port) until stop()."""

    def __init__(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def write_kubeconfig(self, path: Path) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "offline", "cluster": {"server": self.url}}],
            "users": [{"name": "offline", "user": {}}],
            "contexts": [{"name": "offline", "context": {"cluster": "offline", "user": "offline"}}],
            "current-context": "offline",
        }
        path.write_text(json.dumps(config))
