"""Discovery documents (``/version``, ``/api``, ``/apis``, ...) listing what we serve.

Aggregated discovery (``as=APIGroupDiscoveryList``) is not offered: answering the plain
documents makes kubectl fall back to legacy discovery, which it supports.
"""

from __future__ import annotations

import base64
import hashlib

from kubesim.apiserver.registry import RESOURCES, ResourceType, resources_in, served
from kubesim.clusterapi import JSON

# The behaviour simulated is v1.36's (its captures win where they differ from 1.24's); the
# emulation and compatibility versions arrived with compatibility versions (reference v1.36 I0).
VERSION: JSON = {
    "major": "1",
    "minor": "36",
    "emulationMajor": "1",
    "emulationMinor": "36",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "35",
    "gitVersion": "v1.36.0-jobscheduler-embedded",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.26.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"], "log": ["get"], "token": ["create"]}
# Subresources whose body is another group's kind (serviceaccounts/token takes a TokenRequest).
_SUBRESOURCE_KINDS = {
    "token": {"group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest"}
}


def _storage_version_hash(rt: ResourceType) -> str:
    """What kube-apiserver publishes for stored kinds: the first 8 bytes of the SHA-256 of
    ``group/version/Kind``, base64 (reference v1.36 E24)."""
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def api_versions(server_address: str) -> JSON:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _groups() -> list[str]:
    return sorted({rt.group for rt in served() if rt.group})


def _group(name: str) -> JSON:
    versions = sorted({rt.version for rt in served() if rt.group == name})
    entries = [{"groupVersion": f"{name}/{version}", "version": version} for version in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list() -> JSON:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in _groups()]}


def api_group(name: str) -> JSON | None:
    if name not in _groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def _entries(rt: ResourceType) -> list[JSON]:
    main: JSON = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        main["shortNames"] = list(rt.short_names)
    if rt.categories:
        main["categories"] = list(rt.categories)
    if RESOURCES.get(rt.plural) == rt:
        main["storageVersionHash"] = _storage_version_hash(rt)
    entries = [main]
    for subresource in rt.subresources:
        entries.append(
            {
                "name": f"{rt.plural}/{subresource}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                **_SUBRESOURCE_KINDS.get(subresource, {}),
                "verbs": _SUBRESOURCE_VERBS[subresource],
            }
        )
    return entries


def api_resource_list(group: str, version: str) -> JSON | None:
    served = resources_in(group, version)
    if not served:
        return None
    resources = [entry for rt in sorted(served, key=lambda r: r.plural) for entry in _entries(rt)]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
