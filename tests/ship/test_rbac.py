"""The service's permissions: namespaced, least privilege, and exactly what the gateway uses."""

from __future__ import annotations

from typing import Any

import pytest

from .manifests import KUSTOMIZATIONS, Manifest, of_kind, one, render, requires_kubectl

pytestmark = requires_kubectl

# (apiGroup, resource) -> verbs. What jobscheduler/kube calls (see test_rules_match_the_gateway).
EXPECTED_RULES: dict[tuple[str, str], set[str]] = {
    ("batch", "jobs"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    ("batch", "cronjobs"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "pods/log"): {"get"},
}
# Grants that would let a compromised service escape its job: read credentials, run code in other
# pods, create arbitrary pods (e.g. privileged ones via another service account), or gain rights.
FORBIDDEN_RESOURCES = {
    "secrets",
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "serviceaccounts/token",
}
FORBIDDEN_VERBS = {"escalate", "bind", "impersonate", "*"}


def rules_by_resource(role: Manifest) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def roles(docs: list[Manifest]) -> list[Manifest]:
    return of_kind(docs, "Role") + of_kind(docs, "ClusterRole")


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_no_wildcards_secrets_exec_or_pod_creation(kustomization: str) -> None:
    for role in roles(render(kustomization)):
        for rule in role["rules"]:
            fields: dict[str, Any] = rule
            for key in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert "*" not in fields.get(key, []), f"wildcard in {key} of {role['metadata']}"
            assert "nonResourceURLs" not in rule
        granted = rules_by_resource(role)
        assert not FORBIDDEN_RESOURCES & {resource for _, resource in granted}
        assert not FORBIDDEN_VERBS & set().union(*granted.values())
        assert "create" not in granted.get(("", "pods"), set())


def test_base_role_grants_exactly_what_the_gateway_uses() -> None:
    role = one(render("base"), "Role", "jobscheduler")
    assert rules_by_resource(role) == EXPECTED_RULES


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_permissions_are_bound_per_namespace_only(kustomization: str) -> None:
    docs = render(kustomization)
    assert not of_kind(docs, "ClusterRoleBinding"), "would grant the rules in every namespace"
    bindings = of_kind(docs, "RoleBinding")
    assert bindings
    for binding in bindings:
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "jobscheduler", "namespace": "jobscheduler"}
        ]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_default_job_namespace_is_one_the_service_may_use(kustomization: str) -> None:
    docs = render(kustomization)
    job_namespace = one(docs, "ConfigMap", "jobscheduler-config")["data"]["K8S_NAMESPACE"]
    bound = {b["metadata"]["namespace"] for b in of_kind(docs, "RoleBinding")}
    assert job_namespace in bound


def test_multi_namespace_variant_binds_the_same_rules_in_each_target_namespace() -> None:
    docs = render("overlays/multi-namespace")
    cluster_role = one(docs, "ClusterRole", "jobscheduler-jobs")
    assert rules_by_resource(cluster_role) == EXPECTED_RULES
    targets = {
        b["metadata"]["namespace"]
        for b in of_kind(docs, "RoleBinding")
        if b["roleRef"]
        == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "jobscheduler-jobs",
        }
    }
    assert targets == {"team-a", "team-b"}
