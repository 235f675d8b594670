"""What an update may change: the main resource vs the status subresource, and immutable
fields (kube-apiserver's PrepareForUpdate and ValidateUpdate, per resource)."""

from __future__ import annotations

from typing import Any

from kubesim.apiserver.configmaps import configmap_update_errors
from kubesim.apiserver.validation import FieldError
from kubesim.auth.objects import role_ref_update_errors
from kubesim.clusterapi import JSON
from kubesim.store import clone

# Set only by the server; an update body cannot change them.
_SERVER_METADATA = (
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
# Metadata a status write may still change (the 1.24 status strategies reset spec only, CM).
_USER_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")
_HAS_STATUS = {"jobs", "cronjobs", "pods", "namespaces"}


def merge_for_update(resource: str, current: JSON, body: JSON, subresource: str | None) -> JSON:
    """The object to store for an update of ``current`` with ``body``."""
    if subresource == "status":
        new = clone(current)
        new["status"] = clone(body.get("status") or {})
        new_meta = new["metadata"]
        body_meta = body.get("metadata") or {}
        for field in _USER_METADATA:
            if resource == "pods" and field == "ownerReferences":
                continue  # pods/status never touches owner references (old kubelets broke GC)
            if field in body_meta:
                new_meta[field] = clone(body_meta[field])
            else:
                new_meta.pop(field, None)
        return new
    new = clone(body)
    meta = new.setdefault("metadata", {})
    for field in _SERVER_METADATA:
        if field in current["metadata"]:
            meta[field] = current["metadata"][field]
        else:
            meta.pop(field, None)
    meta.pop("managedFields", None)
    if resource in _HAS_STATUS:
        if "status" in current:
            new["status"] = clone(current["status"])
        else:
            new.pop("status", None)
    return new


def _immutable(field: str, value: Any) -> FieldError:
    return FieldError.invalid(field, value, "field is immutable")


# Template fields a never-started suspended Job may still change (upstream: scheduling
# directives are mutable while suspended, so queueing controllers like Kueue can place it).
_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "affinity", "schedulingGates")


def _template_without_directives(template: JSON) -> JSON:
    stripped = clone(template or {})
    meta = stripped.get("metadata") or {}
    for field in ("labels", "annotations"):
        meta.pop(field, None)
    spec = stripped.get("spec") or {}
    for field in _SCHEDULING_DIRECTIVES:
        spec.pop(field, None)
    return stripped


def _job_update_errors(current: JSON, new: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    old_spec = current.get("spec") or {}
    new_spec = new.get("spec") or {}
    for field in ("selector", "completionMode", "podFailurePolicy", "backoffLimitPerIndex"):
        if old_spec.get(field) != new_spec.get(field):
            errors.append(_immutable(f"spec.{field}", new_spec.get(field)))
    if old_spec.get("completions") != new_spec.get("completions"):
        elastic = new_spec.get("completionMode") == "Indexed" and new_spec.get(
            "completions"
        ) == new_spec.get("parallelism")
        if not elastic:
            errors.append(_immutable("spec.completions", new_spec.get("completions")))
    old_template, new_template = old_spec.get("template"), new_spec.get("template")
    if old_template != new_template:
        never_started = old_spec.get("suspend") and not (current.get("status") or {}).get(
            "startTime"
        )
        if not never_started or _template_without_directives(
            old_template or {}
        ) != _template_without_directives(new_template or {}):
            errors.append(_immutable("spec.template", new_template))
    return errors


_POD_MUTABLE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def _pod_spec_comparable(spec: JSON) -> JSON:
    comparable = clone(spec or {})
    for section in ("containers", "initContainers"):
        for container in comparable.get(section) or []:
            container.pop("image", None)
    for field in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        comparable.pop(field, None)
    return comparable


def _pod_update_errors(current: JSON, new: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    # The QoS class is the API server's, set at creation; a status write that omits it keeps
    # it (a merge patch), one that changes or drops it is refused (reference v1.36 A5).
    old_qos = (current.get("status") or {}).get("qosClass")
    new_qos = (new.get("status") or {}).get("qosClass")
    if old_qos is not None and new_qos != old_qos:
        errors.append(_immutable("status.qosClass", new_qos or ""))
    old_spec, new_spec = current.get("spec") or {}, new.get("spec") or {}
    if old_spec == new_spec:
        return errors
    # Binding a pod to a node is allowed once (what the scheduler's binding does).
    old_node, new_node = old_spec.get("nodeName"), new_spec.get("nodeName")
    if old_node and old_node != new_node:
        errors.append(FieldError.forbidden("spec", _POD_MUTABLE_MESSAGE))
        return errors
    old_cmp, new_cmp = _pod_spec_comparable(old_spec), _pod_spec_comparable(new_spec)
    new_cmp.pop("nodeName", None)
    old_cmp.pop("nodeName", None)
    if old_cmp != new_cmp:
        errors.append(FieldError.forbidden("spec", _POD_MUTABLE_MESSAGE))
    return errors


def check_update(resource: str, current: JSON, new: JSON) -> list[FieldError]:
    if resource == "jobs":
        return _job_update_errors(current, new)
    if resource == "pods":
        return _pod_update_errors(current, new)
    if resource == "configmaps":
        return configmap_update_errors(current, new)
    if resource in ("rolebindings", "clusterrolebindings"):
        return role_ref_update_errors(current, new)
    return []
