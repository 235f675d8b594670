"""What a request may not set on its Job and pods: the keys that identify the service's own
workloads (its Deployment, Service, NetworkPolicy and PDB select on them) or Kubernetes'."""

from __future__ import annotations

import pytest

from jobscheduler.jobtypes.fieldtable import validate_request

from .builders import REGISTRY, timer_request


@pytest.mark.parametrize(
    "key",
    [
        "jobscheduler.io/component",  # the server's pods are selected by component: server
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/component",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/version",  # the whole domain: Kubernetes reserves it
    ],
)
@pytest.mark.parametrize("where", ["labels", "annotations"])
def test_identity_keys_of_the_service_are_refused(where: str, key: str) -> None:
    req = timer_request(**{where: {key: "server"}})
    assert {v.field: v.description for v in validate_request(req, REGISTRY)} == {
        f'{where}["{key}"]': "key is reserved for jobscheduler/Kubernetes"
    }


@pytest.mark.parametrize("key", ["team", "example.com/part-of", "app.example.com/name"])
def test_other_keys_stay_free(key: str) -> None:
    assert validate_request(timer_request(labels={key: "x"}), REGISTRY) == []
