"""``ClusterAPI`` for in-process callers (the controllers, tests).

Same semantics as over HTTP; results are deep copies, so a caller may change what it got
without touching the store.
"""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.registry import served
from kubesim.apiserver.server import ApiServer
from kubesim.clusterapi import JSON, APIResources, WatchStream
from kubesim.store import clone


class InProcessAPI:
    def __init__(self, server: ApiServer) -> None:
        self._server = server

    def create(
        self, resource: str, namespace: str | None, body: JSON, *, dry_run: bool = False
    ) -> JSON:
        result: JSON = clone(self._server.create(resource, namespace, body, dry_run=dry_run))
        return result

    def get(
        self, resource: str, namespace: str | None, name: str, *, subresource: str | None = None
    ) -> JSON:
        result: JSON = clone(self._server.get(resource, namespace, name, subresource=subresource))
        return result

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
        result: JSON = clone(
            self._server.list(
                resource,
                namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=limit,
                continue_token=continue_token,
                resource_version=resource_version,
            )
        )
        return result

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
        result: JSON = clone(
            self._server.update(
                resource, namespace, name, body, subresource=subresource, dry_run=dry_run
            )
        )
        return result

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
        result: JSON = clone(
            self._server.patch(
                resource,
                namespace,
                name,
                patch,
                patch_type,
                subresource=subresource,
                dry_run=dry_run,
                field_manager="jobscheduler-embedded",
            )
        )
        return result

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
        result: JSON = clone(
            self._server.delete(
                resource,
                namespace,
                name,
                propagation_policy=propagation_policy,
                preconditions=preconditions,
                grace_period_seconds=grace_period_seconds,
                dry_run=dry_run,
            )
        )
        return result

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
    ) -> WatchStream:
        return self._server.watch(
            resource,
            namespace,
            resource_version=resource_version,
            label_selector=label_selector,
            field_selector=field_selector,
            allow_bookmarks=allow_bookmarks,
            timeout_seconds=timeout_seconds,
            copy_objects=True,
        )

    def server_resources(self) -> APIResources:
        return [
            {
                "name": rt.plural,
                "group": rt.group,
                "version": rt.version,
                "kind": rt.kind,
                "namespaced": rt.namespaced,
                "verbs": list(rt.verbs),
            }
            for rt in served()
        ]
