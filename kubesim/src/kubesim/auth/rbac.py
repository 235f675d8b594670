"""The RBAC authorizer over the stored Roles, ClusterRoles and bindings (upstream's
``plugin/pkg/auth/authorizer/rbac``): the same rule matching, visiting order and reason text.

ClusterRoleBindings are visited first, then the RoleBindings of the request's namespace (a
request without a namespace is never allowed by a RoleBinding). There are no deny rules: an
unmatched request has no opinion, which the gate turns into a denial.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kubesim.auth.attributes import Attributes
from kubesim.auth.identity import MASTERS, UserInfo
from kubesim.auth.satokens import service_account_username
from kubesim.clusterapi import JSON
from kubesim.store import Store


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _matches(values: list[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def _resource_matches(rule: JSON, attributes: Attributes) -> bool:
    combined = attributes.resource
    if attributes.subresource:
        combined += "/" + attributes.subresource
    for resource in rule.get("resources") or []:
        if resource in ("*", combined):
            return True
        if attributes.subresource and resource == "*/" + attributes.subresource:
            return True
    return False


def _url_matches(rule: JSON, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or []:
        if url in ("*", path) or (url.endswith("*") and path.startswith(url.rstrip("*"))):
            return True
    return False


def rule_allows(rule: JSON, attributes: Attributes) -> bool:
    if not _matches(rule.get("verbs") or [], attributes.verb):
        return False
    if not attributes.resource_request:
        return _url_matches(rule, attributes.path)
    names = rule.get("resourceNames") or []
    return (
        _matches(rule.get("apiGroups") or [], attributes.group)
        and _resource_matches(rule, attributes)
        and (not names or attributes.name in names)
    )


def _applies(subject: JSON, user: UserInfo, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return bool(user.username == name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return bool(namespace) and service_account_username(namespace, name) == user.username
    return False


def _describe(subject: JSON, binding_namespace: str) -> str:
    name = subject.get("name", "")
    if subject.get("kind") == "ServiceAccount":
        name += "/" + (subject.get("namespace") or binding_namespace)
    return f'{subject.get("kind")} "{name}"'


class RbacAuthorizer:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _role_rules(self, role_ref: JSON, namespace: str) -> list[JSON]:
        if role_ref.get("kind") == "ClusterRole":
            role = self._store.get("clusterroles", None, role_ref.get("name", ""))
        elif role_ref.get("kind") == "Role" and namespace:
            role = self._store.get("roles", namespace, role_ref.get("name", ""))
        else:
            role = None
        return list((role or {}).get("rules") or [])

    def _grants(self, user: UserInfo, namespace: str) -> Iterator[tuple[str, list[JSON]]]:
        """(who granted it, the rules) for every binding that names ``user``."""
        bindings: list[tuple[str, str | None]] = [("clusterrolebindings", None)]
        if namespace:
            bindings.append(("rolebindings", namespace))
        for plural, scope in bindings:
            items, _, _ = self._store.scan(plural, scope)
            for binding in items:
                binding_namespace = binding["metadata"].get("namespace", "")
                for subject in binding.get("subjects") or []:
                    if not _applies(subject, user, binding_namespace):
                        continue
                    ref = binding.get("roleRef") or {}
                    if plural == "rolebindings":
                        shown = f'RoleBinding "{binding["metadata"]["name"]}/{binding_namespace}"'
                    else:
                        shown = f'ClusterRoleBinding "{binding["metadata"]["name"]}"'
                    source = (
                        f'{shown} of {ref.get("kind")} "{ref.get("name")}" to '
                        f"{_describe(subject, binding_namespace)}"
                    )
                    yield source, self._role_rules(ref, binding_namespace)
                    break

    def authorize(self, user: UserInfo, attributes: Attributes) -> Decision:
        if MASTERS in user.groups:
            return Decision(True)  # upstream's privileged-group authorizer: no reason given
        namespace = attributes.namespace if attributes.resource_request else ""
        for source, rules in self._grants(user, namespace):
            if any(rule_allows(rule, attributes) for rule in rules):
                return Decision(True, f"RBAC: allowed by {source}")
        return Decision(False)

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[JSON], list[JSON]]:
        """(resource rules, non-resource rules) that apply to ``user`` in ``namespace``, for
        SelfSubjectRulesReview."""
        resource_rules: list[JSON] = []
        url_rules: list[JSON] = []
        for _, rules in self._grants(user, namespace):
            for rule in rules:
                if rule.get("nonResourceURLs"):
                    url_rules.append(
                        {"verbs": rule.get("verbs", []), "nonResourceURLs": rule["nonResourceURLs"]}
                    )
                else:
                    entry = {
                        key: rule[key]
                        for key in ("verbs", "apiGroups", "resources", "resourceNames")
                        if rule.get(key)
                    }
                    entry.setdefault("verbs", [])
                    resource_rules.append(entry)
        return resource_rules, url_rules
