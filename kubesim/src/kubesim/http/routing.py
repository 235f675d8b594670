"""URL paths of the Kubernetes REST API, mapped to what they address."""

from __future__ import annotations

from dataclasses import dataclass

from kubesim.apiserver import discovery, openapi
from kubesim.apiserver.registry import ResourceType, resources_in
from kubesim.clusterapi import JSON, ApiError


@dataclass(frozen=True)
class Route:
    """Either a fixed document (discovery) or an address in a resource."""

    document: JSON | None = None
    text: str | None = None  # plain-text answers (health endpoints, non-API 404)
    status: int = 200
    resource: ResourceType | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def _not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


_HEALTH = {"healthz", "livez", "readyz"}


def route(path: str, server_address: str) -> Route:
    parts = [part for part in path.split("/") if part]
    if not parts:
        return Route(
            document={
                "paths": [
                    "/api",
                    "/api/v1",
                    "/apis",
                    "/apis/batch",
                    "/apis/batch/v1",
                    "/healthz",
                    "/livez",
                    "/readyz",
                    "/version",
                ]
            }
        )
    head = parts[0]
    if head == "version" and len(parts) == 1:
        return Route(document=dict(discovery.VERSION))
    if head in _HEALTH:
        return Route(text="ok")
    if head == "openapi" and parts[1:2] == ["v3"]:
        return _openapi_route(parts[2:])
    if head == "api":
        if len(parts) == 1:
            return Route(document=discovery.api_versions(server_address))
        group, version, rest = "", parts[1], parts[2:]
    elif head == "apis":
        if len(parts) == 1:
            return Route(document=discovery.api_group_list())
        if len(parts) == 2:
            document = discovery.api_group(parts[1])
            if document is None:
                raise _not_found()
            return Route(document=document)
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Route(text="404 page not found\n", status=404)
    served = {rt.plural: rt for rt in resources_in(group, version)}
    if not served:
        raise _not_found()
    if not rest:
        document = discovery.api_resource_list(group, version)
        assert document is not None
        return Route(document=document)
    return _resource_route(served, rest)


def _openapi_route(rest: list[str]) -> Route:
    if not rest:
        return Route(document=openapi.root_document())
    if rest[0] == "api" and len(rest) == 2:
        document = openapi.group_version_document("", rest[1])
    elif rest[0] == "apis" and len(rest) == 3:
        document = openapi.group_version_document(rest[1], rest[2])
    else:
        document = None
    if document is None:
        raise _not_found()
    return Route(document=document)


def _resource_route(served: dict[str, ResourceType], rest: list[str]) -> Route:
    namespace: str | None = None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and rest[2] in served
        and served[rest[2]].namespaced
    ):
        namespace, rest = rest[1], rest[2:]
    rt = served.get(rest[0])
    if rt is None or len(rest) > 3:
        raise _not_found()
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else None
    if subresource is not None and subresource not in rt.subresources:
        raise _not_found()
    if rt.namespaced and name is not None and namespace is None:
        raise _not_found()
    return Route(resource=rt, namespace=namespace, name=name, subresource=subresource)
