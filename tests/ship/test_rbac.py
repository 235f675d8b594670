"""The service's permissions: namespaced, least privilege, and exactly what the gateway uses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jobscheduler.kube import gateway

from .manifests import KUSTOMIZATIONS, Manifest, of_kind, one, render, requires_kubectl

pytestmark = requires_kubectl

Rules = dict[tuple[str, str], set[str]]


def gateway_documented_rules() -> Rules:
    """(apiGroup, resource) -> verbs, from the table in jobscheduler/kube/gateway.py's docstring,
    the one place that says which Kubernetes calls the service makes."""
    doc = gateway.__doc__ or ""
    table = re.search(r"^=+ +=+ +=+\n.*?\n=+ +=+ +=+\n(.*?)\n=+ +=+ +=+$", doc, re.S | re.M)
    assert table, "jobscheduler/kube/gateway.py no longer documents its Kubernetes access table"
    rules: Rules = {}
    for row in table.group(1).splitlines():
        group, resource, verbs = re.split(r"\s{2,}", row.strip(), maxsplit=2)
        if group == "non-resource":
            # Discovery-style URLs every client may read (system:public-info-viewer).
            assert resource == "/version", row
            continue
        group = "" if group.startswith('""') else group
        rules[(group, resource)] = {verb.strip() for verb in verbs.split("(")[0].split(",")}
    return rules


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


def test_gateway_table_is_parsed() -> None:
    # Guards the comparison below against a parser that silently finds nothing.
    rules = gateway_documented_rules()
    assert ("batch", "jobs") in rules
    assert "create" in rules[("batch", "jobs")]


def _is_caller_binding(binding: Manifest) -> bool:
    """The kind overlay's example caller (README "Deploying"), not the service's own grant."""
    return bool(binding["metadata"]["name"].startswith("jobscheduler-caller"))


REVIEWS = {
    ("authentication.k8s.io", "tokenreviews"),
    ("authorization.k8s.io", "subjectaccessreviews"),
}


def test_base_role_grants_exactly_what_the_gateway_uses() -> None:
    docs = render("base")
    granted = rules_by_resource(one(docs, "Role", "jobscheduler"))
    granted |= rules_by_resource(one(docs, "ClusterRole", "jobscheduler-reviews"))
    assert granted == gateway_documented_rules()


def test_the_cluster_wide_grant_is_creating_reviews_only() -> None:
    docs = render("base")
    reviews = rules_by_resource(one(docs, "ClusterRole", "jobscheduler-reviews"))
    assert reviews == {key: {"create"} for key in REVIEWS}
    binding = one(docs, "ClusterRoleBinding", "jobscheduler-reviews")
    assert binding["roleRef"]["name"] == "jobscheduler-reviews"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_permissions_are_bound_per_namespace_only(kustomization: str) -> None:
    docs = render(kustomization)
    cluster_wide = {
        b["roleRef"]["name"]
        for b in of_kind(docs, "ClusterRoleBinding")
        if b["roleRef"]["name"] != "jobscheduler-reviews"  # reviews only, see above
    }
    assert cluster_wide <= {"jobscheduler-list-jobs"}, "would grant job rules everywhere"
    bindings = [b for b in of_kind(docs, "RoleBinding") if not _is_caller_binding(b)]
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
    assert rules_by_resource(cluster_role) == rules_by_resource(one(docs, "Role", "jobscheduler"))
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


def test_cluster_job_list_component_only_adds_reading_jobs() -> None:
    base = render("overlays/multi-namespace")
    with_component = render("overlays/multi-namespace", "components/cluster-job-list")
    added = [doc for doc in with_component if doc not in base]
    assert sorted(doc["kind"] for doc in added) == ["ClusterRole", "ClusterRoleBinding"]
    assert rules_by_resource(one(added, "ClusterRole")) == {("batch", "jobs"): {"list"}}
    binding = one(added, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == one(added, "ClusterRole")["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "jobscheduler", "namespace": "jobscheduler"}
    ]
