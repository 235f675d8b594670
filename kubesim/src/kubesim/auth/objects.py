"""Defaulting and validation of ServiceAccounts and the RBAC kinds, with upstream's field paths
and wording (``pkg/apis/rbac/validation``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubesim.apiserver.validation import (
    FieldError,
    validate_annotations,
    validate_labels,
    validate_object_meta,
)
from kubesim.clusterapi import JSON

RBAC_GROUP = "rbac.authorization.k8s.io"
_SUBJECT_KINDS = ["ServiceAccount", "User", "Group"]


def _default_binding(binding: JSON) -> None:
    role_ref = binding.get("roleRef")
    if isinstance(role_ref, dict) and not role_ref.get("apiGroup"):
        role_ref["apiGroup"] = RBAC_GROUP
    for subject in binding.get("subjects") or []:
        if (
            isinstance(subject, dict)
            and not subject.get("apiGroup")
            and subject.get("kind") in ("User", "Group")
        ):
            subject["apiGroup"] = RBAC_GROUP


def _no_defaults(obj: JSON) -> None:
    return None


def _path_segment_name(meta: JSON, errors: list[FieldError]) -> None:
    """RBAC names are path segments (``system:discovery`` is valid), not DNS names."""
    name = meta.get("name") or ""
    if not name:
        errors.append(FieldError.required("metadata.name", "name or generateName is required"))
    for bad, detail in ((".", "may not be '.'"), ("..", "may not be '..'")):
        if name == bad:
            errors.append(FieldError.invalid("metadata.name", name, detail))
    for character in "/%":
        if character in name:
            errors.append(
                FieldError.invalid("metadata.name", name, f"may not contain '{character}'")
            )
    validate_labels(meta.get("labels"), "metadata.labels", errors)
    validate_annotations(meta.get("annotations"), "metadata.annotations", errors)


def _rule_errors(rule: Any, path: str, namespaced: bool) -> list[FieldError]:
    rule = rule if isinstance(rule, dict) else {}
    errors: list[FieldError] = []
    if not rule.get("verbs"):
        errors.append(FieldError.required(f"{path}.verbs", "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            errors.append(
                FieldError.invalid(
                    f"{path}.nonResourceURLs",
                    urls,
                    "namespaced rules cannot apply to non-resource URLs",
                )
            )
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errors.append(
                FieldError.invalid(
                    f"{path}.nonResourceURLs",
                    urls,
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
            )
        return errors
    if not rule.get("apiGroups"):
        errors.append(
            FieldError.required(
                f"{path}.apiGroups", "resource rules must supply at least one api group"
            )
        )
    if not rule.get("resources"):
        errors.append(
            FieldError.required(
                f"{path}.resources", "resource rules must supply at least one resource"
            )
        )
    return errors


def _role_validator(namespaced: bool) -> Callable[[JSON], list[FieldError]]:
    def validate(role: JSON) -> list[FieldError]:
        errors: list[FieldError] = []
        _path_segment_name(role.get("metadata") or {}, errors)
        for index, rule in enumerate(role.get("rules") or []):
            errors += _rule_errors(rule, f"rules[{index}]", namespaced)
        return errors

    return validate


def _subject_errors(subject: Any, path: str, namespaced: bool) -> list[FieldError]:
    subject = subject if isinstance(subject, dict) else {}
    errors: list[FieldError] = []
    if not subject.get("name"):
        errors.append(FieldError.required(f"{path}.name"))
    kind, group = subject.get("kind", ""), subject.get("apiGroup", "")
    if kind == "ServiceAccount":
        if group:
            errors.append(FieldError.not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            errors.append(FieldError.required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            errors.append(FieldError.not_supported(f"{path}.apiGroup", group, [RBAC_GROUP]))
    else:
        errors.append(FieldError.not_supported(f"{path}.kind", kind, _SUBJECT_KINDS))
    return errors


def _binding_validator(namespaced: bool) -> Callable[[JSON], list[FieldError]]:
    role_kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]

    def validate(binding: JSON) -> list[FieldError]:
        errors: list[FieldError] = []
        _path_segment_name(binding.get("metadata") or {}, errors)
        role_ref = binding.get("roleRef") or {}
        if role_ref.get("apiGroup") != RBAC_GROUP:
            errors.append(
                FieldError.not_supported(
                    "roleRef.apiGroup", role_ref.get("apiGroup", ""), [RBAC_GROUP]
                )
            )
        if role_ref.get("kind") not in role_kinds:
            errors.append(
                FieldError.not_supported("roleRef.kind", role_ref.get("kind", ""), role_kinds)
            )
        if not role_ref.get("name"):
            errors.append(FieldError.required("roleRef.name"))
        for index, subject in enumerate(binding.get("subjects") or []):
            errors += _subject_errors(subject, f"subjects[{index}]", namespaced)
        return errors

    return validate


def _validate_service_account(account: JSON) -> list[FieldError]:
    errors: list[FieldError] = []
    validate_object_meta(account.get("metadata") or {}, errors)
    return errors


def role_ref_update_errors(current: JSON, new: JSON) -> list[FieldError]:
    """A binding's roleRef cannot change (delete and re-create the binding instead)."""
    old, wanted = current.get("roleRef") or {}, new.get("roleRef") or {}
    if old == wanted:
        return []
    shown = (
        f'rbac.RoleRef{{APIGroup:"{wanted.get("apiGroup", "")}", Kind:"{wanted.get("kind", "")}", '
        f'Name:"{wanted.get("name", "")}"}}'
    )
    return [
        FieldError("FieldValueInvalid", "roleRef", f"Invalid value: {shown}: cannot change roleRef")
    ]


DEFAULTERS: dict[str, Callable[[JSON], None]] = {
    "serviceaccounts": _no_defaults,
    "roles": _no_defaults,
    "clusterroles": _no_defaults,
    "rolebindings": _default_binding,
    "clusterrolebindings": _default_binding,
}
VALIDATORS: dict[str, Callable[[JSON], list[FieldError]]] = {
    "serviceaccounts": _validate_service_account,
    "roles": _role_validator(namespaced=True),
    "clusterroles": _role_validator(namespaced=False),
    "rolebindings": _binding_validator(namespaced=True),
    "clusterrolebindings": _binding_validator(namespaced=False),
}
