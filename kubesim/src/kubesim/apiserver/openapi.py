"""A minimal OpenAPI v3 description of the served resources.

kubectl (1.27+) reads ``/openapi/v3`` to learn whether the server validates fields itself
(the ``fieldValidation`` query parameter on PATCH operations); if so it sends
``fieldValidation=Strict`` instead of downloading schemas to validate client-side. We publish
the paths with their operations and GroupVersionKind, not the schemas.
"""

from __future__ import annotations

import hashlib
import json

from kubesim.apiserver.registry import RESOURCES, ResourceType, resources_in
from kubesim.clusterapi import JSON

_QUERY_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation", "force")


def _gvk(rt: ResourceType) -> JSON:
    return {"group": rt.group, "version": rt.version, "kind": rt.kind}


def _operation(rt: ResourceType, action: str, parameters: tuple[str, ...]) -> JSON:
    return {
        "operationId": f"{action}{rt.kind}",
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for name in parameters
        ],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(rt),
    }


def _prefix(rt: ResourceType) -> str:
    return f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"


def _paths(rt: ResourceType) -> dict[str, JSON]:
    scope = "/namespaces/{namespace}" if rt.namespaced else ""
    collection = f"{_prefix(rt)}{scope}/{rt.plural}"
    item = f"{collection}/{{name}}"
    paths = {
        collection: {
            "get": _operation(rt, "list", ()),
            "post": _operation(rt, "post", _QUERY_PARAMETERS[:3]),
        },
        item: {
            "get": _operation(rt, "get", ()),
            "put": _operation(rt, "put", _QUERY_PARAMETERS[:3]),
            "patch": _operation(rt, "patch", _QUERY_PARAMETERS),
            "delete": _operation(rt, "delete", ("dryRun",)),
        },
    }
    if "status" in rt.subresources:
        paths[f"{item}/status"] = {
            "get": _operation(rt, "get", ()),
            "patch": _operation(rt, "patch", _QUERY_PARAMETERS),
        }
    return paths


def group_version_document(group: str, version: str) -> JSON | None:
    served = resources_in(group, version)
    if not served:
        return None
    paths: dict[str, JSON] = {}
    for rt in served:
        paths.update(_paths(rt))
    title = "Kubernetes"
    return {
        "openapi": "3.0.0",
        "info": {"title": title, "version": "v1.32.0"},
        "paths": paths,
        "components": {},
    }


def _key(rt: ResourceType) -> str:
    return f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"


def root_document() -> JSON:
    paths: dict[str, JSON] = {}
    for rt in RESOURCES.values():
        key = _key(rt)
        document = group_version_document(rt.group, rt.version)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:32]
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest.upper()}"}
    return {"paths": paths}
