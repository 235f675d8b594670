"""The in-process contract between the embedded API server and the simulated controllers.

``ClusterAPI`` is what kube-apiserver offers, as Python calls on plain JSON-ready dicts: the HTTP
layer translates requests into these calls, and the controllers and the simulated kubelet act
only through them. A second implementation over the real REST API lets the simulated kubelet
drive pods on any control plane that has no nodes (like KWOK).

Resources are named by their plural: "jobs", "cronjobs", "pods", "events", "namespaces".
Namespaced calls take a namespace; ``namespace=None`` on list/watch means all namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

JSON = dict[str, Any]
# Discovery's answer (a plain alias: ``list`` inside the protocol names its method).
APIResources = list[JSON]


class ApiError(Exception):
    """A Kubernetes ``Status`` failure: HTTP ``code``, upstream ``reason`` and ``details``."""

    def __init__(  # noqa: PLR0917 - positional metadata is used by RestClusterAPI
        self,
        code: int,
        reason: str,
        message: str,
        details: JSON | None = None,
        headers: dict[str, str] | None = None,
        metadata: JSON | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}
        # ListMeta of the Status, e.g. the fresh ``continue`` token of a 410 Expired list.
        self.metadata = metadata or {}

    def to_status(self) -> JSON:
        status: JSON = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": dict(self.metadata),
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            status["details"] = self.details
        return status


class WatchStream(Protocol):
    """Iterator of ``{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}``."""

    def __iter__(self) -> Iterator[JSON]: ...

    def stop(self) -> None:
        """End the stream; a consumer blocked in ``next`` returns promptly."""
        ...


class ClusterAPI(Protocol):
    def create(
        self, resource: str, namespace: str | None, body: JSON, *, dry_run: bool = False
    ) -> JSON: ...

    def get(
        self, resource: str, namespace: str | None, name: str, *, subresource: str | None = None
    ) -> JSON: ...

    def list(
        self,
        resource: str,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
    ) -> JSON:
        """A ``<Kind>List`` with ``items`` and ``metadata.resourceVersion`` / ``continue``."""
        ...

    def update(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        body: JSON,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> JSON:
        """PUT: 409 Conflict when ``body.metadata.resourceVersion`` is set and stale."""
        ...

    def patch(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> JSON:
        """``patch_type`` is the Content-Type: application/merge-patch+json,
        application/json-patch+json or application/strategic-merge-patch+json."""
        ...

    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        propagation_policy: str | None = None,
        preconditions: JSON | None = None,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
    ) -> JSON:
        """Returns the deleted object (or the object with deletionTimestamp set while
        finalizers hold it), as kube-apiserver does."""
        ...

    def watch(
        self,
        resource: str,
        namespace: str | None,
        *,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        allow_bookmarks: bool = False,
        timeout_seconds: float | None = None,
    ) -> WatchStream: ...

    def server_resources(self) -> APIResources:
        """Discovery: one APIResource per served resource (``name`` is the plural), with its
        ``group``, ``version``, ``kind``, ``namespaced`` and ``verbs``; no subresources."""
        ...


class PodLogSource(Protocol):
    """What the simulated kubelet printed, served by the API server's ``pods/{name}/log``."""

    def serves_node(self, node: str) -> bool:
        """Whether a kubelet behind this source runs ``node`` (the API server proxies log
        requests to a pod's node; an unknown node is a 404, reference B4)."""
        ...

    def read(
        self,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        follow: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        limit_bytes: int | None = None,
        timestamps: bool = False,
    ) -> Iterator[str]:
        """Yield log text in chunks; with ``follow``, keep yielding until the container ends.
        Raises ``ApiError`` (400 BadRequest) like the kubelet for an unknown container or a pod
        that has not started, and 404 NotFound for a missing pod."""
        ...
