"""``ClusterAPI`` over the real Kubernetes REST API, through the official client's ApiClient.

With it the simulated kubelet (and the controllers) can run against any API server: a real
control plane without nodes (like KWOK), or the embedded cluster over HTTP. Bodies are plain
dicts; every ``ApiException`` becomes an ``ApiError`` carrying the server's Status.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from kubesim.clusterapi import JSON, ApiError, APIResources

_CORE = "/api/v1"
_BATCH = "/apis/batch/v1"
_PREFIXES = {
    "pods": _CORE,
    "events": _CORE,
    "namespaces": _CORE,
    "nodes": _CORE,
    "bindings": _CORE,
    "jobs": _BATCH,
    "cronjobs": _BATCH,
    "configmaps": _CORE,
    "leases": "/apis/coordination.k8s.io/v1",
}
_CLUSTER_SCOPED = {"namespaces", "nodes"}
Query = list[tuple[str, Any]]
# Seconds the client waits for a watch beyond the server's own timeoutSeconds.
_WATCH_READ_SLACK_SECONDS = 30.0


def resource_path(
    resource: str, namespace: str | None, name: str | None = None, subresource: str | None = None
) -> str:
    try:
        prefix = _PREFIXES[resource]
    except KeyError:
        raise ApiError(
            404, "NotFound", "the server could not find the requested resource"
        ) from None
    path = prefix
    if namespace and resource not in _CLUSTER_SCOPED:
        path += f"/namespaces/{namespace}"
    path += f"/{resource}"
    if name:
        path += f"/{name}"
    if subresource:
        path += f"/{subresource}"
    return path


def api_error(error: ApiException) -> ApiError:
    """The Status in the response body as an ApiError (or a generic one if there is none)."""
    status: JSON = {}
    try:
        parsed = json.loads(error.body or b"{}")
        if isinstance(parsed, dict):
            status = parsed
    except ValueError:
        pass
    code = int(status.get("code") or error.status or 500)
    return ApiError(
        code,
        str(status.get("reason") or error.reason or "InternalError"),
        str(status.get("message") or error.body or error.reason or ""),
        status.get("details"),
        dict(error.headers or {}),
        status.get("metadata"),
    )


class RestWatchStream:
    """Lines of a chunked watch response; ``stop`` shuts the socket so a blocked read returns."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._stopped = threading.Event()

    def __iter__(self) -> Iterator[JSON]:
        buffer = bytearray()
        try:
            for segment in self._response.stream(amt=None, decode_content=False):
                buffer.extend(segment if isinstance(segment, bytes) else str(segment).encode())
                while (newline := buffer.find(b"\n")) != -1:
                    line = bytes(buffer[:newline])
                    del buffer[: newline + 1]
                    if line.strip():
                        yield json.loads(line)
        except Exception:
            if not self._stopped.is_set():
                raise
        finally:
            self._close()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        # ValueError/RuntimeError: the response was already closed or released.
        with contextlib.suppress(ValueError, RuntimeError, OSError):
            self._response.shutdown()

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self._response.release_conn()


class RestClusterAPI:
    def __init__(self, api_client: ApiClient) -> None:
        self._client = api_client

    def create(
        self, resource: str, namespace: str | None, body: JSON, *, dry_run: bool = False
    ) -> JSON:
        query = [("dryRun", "All")] if dry_run else []
        return self._call("POST", resource_path(resource, namespace), query, body)

    def get(
        self, resource: str, namespace: str | None, name: str, *, subresource: str | None = None
    ) -> JSON:
        return self._call("GET", resource_path(resource, namespace, name, subresource))

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
        query = _query(
            labelSelector=label_selector,
            fieldSelector=field_selector,
            limit=limit or "",
            resourceVersion=resource_version,
        )
        query += [("continue", continue_token)] if continue_token else []
        return self._call("GET", resource_path(resource, namespace), query)

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
        query = [("dryRun", "All")] if dry_run else []
        path = resource_path(resource, namespace, name, subresource)
        return self._call("PUT", path, query, body)

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
        query = [("dryRun", "All")] if dry_run else []
        path = resource_path(resource, namespace, name, subresource)
        return self._call("PATCH", path, query, patch, content_type=patch_type)

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
        options: JSON = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy is not None:
            options["propagationPolicy"] = propagation_policy
        if preconditions is not None:
            options["preconditions"] = preconditions
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        return self._call("DELETE", resource_path(resource, namespace, name), [], options)

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
    ) -> RestWatchStream:
        query = [
            ("watch", "true"),
            *_query(
                resourceVersion=resource_version,
                labelSelector=label_selector,
                fieldSelector=field_selector,
                allowWatchBookmarks="true" if allow_bookmarks else "",
                timeoutSeconds=int(timeout_seconds) if timeout_seconds else "",
            ),
        ]
        read_timeout = (timeout_seconds or 0) + _WATCH_READ_SLACK_SECONDS
        response = self._send(
            "GET",
            resource_path(resource, namespace),
            query,
            None,
            content_type=None,
            read_timeout=read_timeout,
        )
        return RestWatchStream(response)

    def server_resources(self) -> APIResources:
        """What discovery lists under the API versions this client can address."""
        resources: APIResources = []
        for prefix in sorted(set(_PREFIXES.values())):
            group_version = prefix.removeprefix("/api/").removeprefix("/apis/")
            group, _, version = group_version.rpartition("/")
            for entry in self._call("GET", prefix).get("resources") or []:
                if entry.get("name") in _PREFIXES and _PREFIXES[entry["name"]] == prefix:
                    resources.append({**entry, "group": group, "version": version})
        return resources

    def _call(
        self,
        method: str,
        path: str,
        query: Query | None = None,
        body: Any = None,
        *,
        content_type: str | None = None,
    ) -> JSON:
        response = self._send(
            method, path, query or [], body, content_type=content_type, read_timeout=None
        )
        try:
            data = response.data
        finally:
            response.release_conn()
        if not data:
            return {}
        parsed = json.loads(data)
        return parsed if isinstance(parsed, dict) else {"items": parsed}

    def _send(
        self,
        method: str,
        path: str,
        query: Query,
        body: Any,
        *,
        content_type: str | None,
        read_timeout: float | None,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        try:
            return self._client.call_api(
                path,
                method,
                query_params=query,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=(10.0, read_timeout) if read_timeout else None,
            )
        except ApiException as error:
            raise api_error(error) from error


def _query(**params: Any) -> Query:
    return [(key, value) for key, value in params.items() if value not in ("", None)]
