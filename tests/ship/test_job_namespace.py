"""Jobs run apart from the service: their own namespace, the service's job RBAC only there, and
the server's objects selected by a label no request may set.

Job pods are created from requests; in the service's namespace they would sit next to its
ServiceAccount, ConfigMap and pods, and a request's labels could make a job pod match the
server's Service, PodDisruptionBudget or NetworkPolicy. ``jobscheduler.io/`` keys are reserved
for the service (requests cannot set them), so the server selects its pods by one.
"""

from __future__ import annotations

import pytest

from .manifests import KUSTOMIZATIONS, Manifest, config_data, of_kind, one, render, requires_kubectl

pytestmark = requires_kubectl

SERVICE_NAMESPACE = "jobscheduler"
JOBS_NAMESPACE = "jobscheduler-jobs"
SERVER_SELECTOR = {"jobscheduler.io/component": "server"}


def _namespace_of(doc: Manifest) -> str | None:
    namespace: str | None = doc["metadata"].get("namespace")
    return namespace


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_jobs_have_their_own_restricted_namespace_by_default(kustomization: str) -> None:
    docs = render(kustomization)
    namespace = one(docs, "Namespace", JOBS_NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert config_data(docs)["K8S_NAMESPACE"] == JOBS_NAMESPACE


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_job_rbac_is_bound_in_the_jobs_namespace_and_not_in_the_services(
    kustomization: str,
) -> None:
    docs = render(kustomization)
    role = one(docs, "Role", "jobscheduler")
    assert _namespace_of(role) == JOBS_NAMESPACE
    bound_here = [
        b
        for b in of_kind(docs, "RoleBinding")
        if _namespace_of(b) == JOBS_NAMESPACE and b["roleRef"]["name"] == "jobscheduler"
    ]
    assert [b["roleRef"]["kind"] for b in bound_here] == ["Role"]
    # The service may touch nothing in its own namespace: no Role or RoleBinding there.
    for kind in ("Role", "RoleBinding"):
        assert [d for d in of_kind(docs, kind) if _namespace_of(d) == SERVICE_NAMESPACE] == []


_COMPONENT = "app.kubernetes.io/component"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_nothing_of_the_service_lives_in_the_jobs_namespace(kustomization: str) -> None:
    docs = render(kustomization)
    # The kind overlay's example caller (a team's identity and its Role) lives where jobs run;
    # it is not the service's.
    docs = [d for d in docs if d["metadata"].get("labels", {}).get(_COMPONENT) != "example-caller"]
    there = sorted(d["kind"] for d in docs if _namespace_of(d) == JOBS_NAMESPACE)
    assert there == ["Role", "RoleBinding"]
    for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap", "NetworkPolicy"):
        for doc in of_kind(docs, kind):
            assert _namespace_of(doc) == SERVICE_NAMESPACE, doc["metadata"]


def _selectors(docs: list[Manifest]) -> dict[str, dict[str, str]]:
    deployment = one(docs, "Deployment", "jobscheduler")
    spec = deployment["spec"]
    found = {
        "Deployment.spec.selector": spec["selector"]["matchLabels"],
        "Service.spec.selector": one(docs, "Service", "jobscheduler")["spec"]["selector"],
        "NetworkPolicy.spec.podSelector": one(docs, "NetworkPolicy", "jobscheduler")["spec"][
            "podSelector"
        ]["matchLabels"],
    }
    for index, constraint in enumerate(spec["template"]["spec"]["topologySpreadConstraints"]):
        found[f"topologySpreadConstraints[{index}]"] = constraint["labelSelector"]["matchLabels"]
    for budget in of_kind(docs, "PodDisruptionBudget"):
        found["PodDisruptionBudget.spec.selector"] = budget["spec"]["selector"]["matchLabels"]
    return found


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_server_objects_select_only_by_the_reserved_label(kustomization: str) -> None:
    docs = render(kustomization)
    pod_labels = one(docs, "Deployment", "jobscheduler")["spec"]["template"]["metadata"]["labels"]
    assert pod_labels.items() >= SERVER_SELECTOR.items()
    for where, selector in _selectors(docs).items():
        assert selector == SERVER_SELECTOR, where


def test_the_base_has_a_budget_among_the_selected_objects() -> None:
    # Guards the selector check above against a budget that silently disappeared.
    assert "PodDisruptionBudget.spec.selector" in _selectors(render("base"))
