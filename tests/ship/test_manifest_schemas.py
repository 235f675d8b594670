"""Every manifest users apply is valid for each supported Kubernetes version, offline.

kubernetes-validate checks against the upstream OpenAPI schemas; strict mode rejects unknown
fields, which is how a misspelt field, or one a version does not know, shows.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from .manifests import (
    COMPONENTS,
    CRD_COMPONENTS,
    KUBERNETES_VERSIONS,
    KUSTOMIZATIONS,
    Manifest,
    discovered,
    one,
    render,
    requires_kubectl,
)

pytestmark = requires_kubectl


def test_every_kustomization_and_component_under_k8s_is_covered() -> None:
    assert discovered("Kustomization") == sorted(KUSTOMIZATIONS)
    assert discovered("Component") == sorted(COMPONENTS | CRD_COMPONENTS)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_manifests_validate_strictly(kustomization: str, version: str) -> None:
    assert_valid(render(kustomization), version)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_components_validate_strictly_in_their_overlay(component: str, version: str) -> None:
    assert_valid(render(COMPONENTS[component], component), version)


def assert_valid(docs: list[Manifest], version: str) -> None:
    assert docs, "rendered nothing"
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_strict_validation_rejects_an_unknown_field() -> None:
    # Guards the test above: a validator that accepted anything would make it pass vacuously.
    deployment = copy.deepcopy(one(render("base"), "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
