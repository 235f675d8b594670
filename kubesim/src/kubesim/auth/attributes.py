"""What a request asks to do, read from its URL as kube-apiserver's RequestInfoFactory reads it,
and the 403 it gets when that is not allowed (reference v1.36 E01, E19-E21)."""

from __future__ import annotations

from dataclasses import dataclass

from kubesim.auth.identity import UserInfo
from kubesim.clusterapi import JSON, ApiError

_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update", "PATCH": "patch"}
_NAMESPACE_SUBRESOURCES = {"status", "finalize"}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}


@dataclass(frozen=True)
class Attributes:
    verb: str
    resource_request: bool
    path: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""

    @classmethod
    def from_review(cls, spec: JSON) -> Attributes:
        """The attributes of a SubjectAccessReview spec (resource or non-resource)."""
        resource = spec.get("resourceAttributes")
        if isinstance(resource, dict):
            return cls(
                verb=str(resource.get("verb", "")),
                resource_request=True,
                group=str(resource.get("group", "")),
                version=str(resource.get("version", "")),
                namespace=str(resource.get("namespace", "")),
                resource=str(resource.get("resource", "")),
                subresource=str(resource.get("subresource", "")),
                name=str(resource.get("name", "")),
            )
        other = spec.get("nonResourceAttributes") or {}
        return cls(
            verb=str(other.get("verb", "")), resource_request=False, path=other.get("path", "")
        )


def request_attributes(method: str, path: str, query: dict[str, list[str]]) -> Attributes:
    parts = [part for part in path.split("/") if part]
    non_resource = Attributes(verb=method.lower(), resource_request=False, path=path or "/")
    if len(parts) < 3 or parts[0] not in ("api", "apis"):
        return non_resource
    rest = parts[1:]
    group = ""
    if parts[0] == "apis":
        if len(rest) < 3:
            return non_resource
        group, rest = rest[0], rest[1:]
    version, rest = rest[0], rest[1:]
    verb = _VERBS.get(method, "delete" if method == "DELETE" else "")
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0] if rest else ""
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) >= 3 else ""
    if not name and verb == "get":
        verb = "watch" if (query.get("watch") or [""])[0] in _TRUE else "list"
        name = _name_from_field_selector((query.get("fieldSelector") or [""])[0])
    if not name and verb == "delete":
        verb = "deletecollection"
    return Attributes(
        verb=verb,
        resource_request=True,
        path=path,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
    )


def _name_from_field_selector(selector: str) -> str:
    """A list or watch selecting ``metadata.name=x`` is authorized for that one name."""
    terms = [term.strip() for term in selector.split(",") if term.strip()]
    for term in terms:
        for operator in ("==", "="):
            key, found, value = term.partition(operator)
            if found and key.strip() == "metadata.name" and "!" not in key:
                return value.strip()
    return ""


def forbidden(user: UserInfo, attributes: Attributes) -> ApiError:
    """kube-apiserver's Forbidden Status; its 403s carry ``X-Content-Type-Options: nosniff``."""
    headers = {"X-Content-Type-Options": "nosniff"}
    who = f'User "{user.username}" cannot {attributes.verb}'
    if not attributes.resource_request:
        return ApiError(403, "Forbidden", f'forbidden: {who} path "{attributes.path}"', {}, headers)
    resource = attributes.resource
    if attributes.subresource:
        resource += "/" + attributes.subresource
    where = (
        f'in the namespace "{attributes.namespace}"'
        if attributes.namespace
        else "at the cluster scope"
    )
    reason = f'{who} resource "{resource}" in API group "{attributes.group}" {where}'
    qualified = (
        f"{attributes.resource}.{attributes.group}" if attributes.group else attributes.resource
    )
    details: JSON = {}
    if attributes.name:
        details["name"] = attributes.name
        message = f'{qualified} "{attributes.name}" is forbidden: {reason}'
    else:
        message = f"{qualified} is forbidden: {reason}"
    if attributes.group:
        details["group"] = attributes.group
    details["kind"] = attributes.resource
    return ApiError(403, "Forbidden", message, details, headers)
