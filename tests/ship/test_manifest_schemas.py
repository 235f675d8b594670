"""Every manifest users apply is valid for each supported Kubernetes version, offline.

kubernetes-validate checks against the upstream OpenAPI schemas; strict mode rejects unknown
fields, which is how a misspelt field, or one a version does not know, shows.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from .manifests import (
    KUBERNETES_VERSIONS,
    KUSTOMIZATIONS,
    discovered_kustomizations,
    one,
    render,
    requires_kubectl,
)

pytestmark = requires_kubectl


def test_every_kustomization_under_k8s_is_covered() -> None:
    assert discovered_kustomizations() == sorted(KUSTOMIZATIONS)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_manifests_validate_strictly(kustomization: str, version: str) -> None:
    docs = render(kustomization)
    assert docs, f"{kustomization} rendered nothing"
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
