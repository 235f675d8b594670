"""PATCH bodies: JSON merge patch, RFC 6902 JSON patch and strategic merge patch.

Strategic merge patch is implemented for the list fields these resources use: lists that
upstream tags ``patchStrategy:"merge"`` are merged element by element on their merge key
(containers by name, conditions by type, ...); every other list is replaced, as upstream does.
"""

from __future__ import annotations

from typing import Any

import jsonpatch

from kubesim.clusterapi import JSON, ApiError
from kubesim.store import clone

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

# field name -> merge key, for lists with patchStrategy "merge" in the upstream Go types.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Lists of scalars with patchStrategy "merge": a patch adds to them instead of replacing them.
_MERGED_SCALAR_LISTS = {"finalizers"}


def unsupported_media_type() -> ApiError:
    return ApiError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})


def apply_patch(original: JSON, patch: Any, patch_type: str) -> JSON:
    """The patched copy of ``original`` (never mutates it)."""
    media_type = patch_type.split(";", 1)[0].strip()
    if media_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise ApiError(
                400,
                "BadRequest",
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
            )
        try:
            result = jsonpatch.apply_patch(original, patch, in_place=False)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
            raise ApiError(
                500,
                "InternalError",
                f"the server rejected our request due to an error in our request: {error}",
            ) from error
        if not isinstance(result, dict):
            raise ApiError(400, "BadRequest", "the patch did not produce an object")
        return result
    if not isinstance(patch, dict):
        raise ApiError(400, "BadRequest", "the patch must be a JSON object")
    if media_type == MERGE_PATCH:
        merged = merge_patch(original, patch)
    elif media_type in (STRATEGIC_MERGE_PATCH, APPLY_PATCH):
        merged = strategic_merge(original, patch)
    else:
        raise unsupported_media_type()
    assert isinstance(merged, dict)
    return merged


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return {key: clone(value) for key, value in patch.items() if key != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = clone(target) if isinstance(target, dict) else {}
    deletions: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            deletions[key.split("/", 1)[1]] = list(value or [])
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in _MERGE_KEYS:
            result[key] = _merge_list(result.get(key), value, _MERGE_KEYS[key])
        elif isinstance(value, list) and key in _MERGED_SCALAR_LISTS:
            existing = list(result.get(key) or [])
            result[key] = existing + [item for item in value if item not in existing]
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        else:
            result[key] = clone(value)
    for key, removed in deletions.items():
        if key in result:
            result[key] = [item for item in result[key] if item not in removed]
    return result


def _merge_list(current: Any, patch: list[Any], merge_key: str) -> list[Any]:
    items = [clone(item) for item in current or []]
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            if isinstance(element, dict) and element.get("$patch") == "replace":
                continue
            items.append(clone(element))
            continue
        position = next(
            (
                index
                for index, item in enumerate(items)
                if item.get(merge_key) == element[merge_key]
            ),
            None,
        )
        if element.get("$patch") == "delete":
            if position is not None:
                del items[position]
            continue
        if position is None:
            items.append({key: clone(value) for key, value in element.items() if key != "$patch"})
        else:
            items[position] = strategic_merge(items[position], element)
    return items
