"""The example admission policy (k8s/policies/) is valid Kubernetes and matches our jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jobscheduler.jobtypes.metadata import MANAGED_BY_LABEL, MANAGED_BY_VALUE

from .manifests import KUBERNETES_VERSIONS, Manifest, one
from .test_manifest_schemas import assert_valid

POLICIES = Path(__file__).resolve().parents[2] / "k8s" / "policies"


def policy_docs() -> list[Manifest]:
    docs: list[Manifest] = []
    for path in sorted(POLICIES.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_policies_validate_strictly(version: str) -> None:
    assert_valid(policy_docs(), version)


def test_the_policy_selects_the_jobs_the_service_creates_and_is_bound() -> None:
    docs = policy_docs()
    policy = one(docs, "ValidatingAdmissionPolicy")
    selector = policy["spec"]["matchConstraints"]["objectSelector"]["matchLabels"]
    assert selector == {MANAGED_BY_LABEL: MANAGED_BY_VALUE}
    binding = one(docs, "ValidatingAdmissionPolicyBinding")
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert all(v["message"] for v in policy["spec"]["validations"])
