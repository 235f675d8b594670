"""Kubernetes Status bodies to domain errors, for bodies the embedded cluster does not send."""

from __future__ import annotations

import json

from jobscheduler import errors
from jobscheduler.kube.errors import parse_status, to_domain_error

# What a real kube-apiserver answered when its storage could not serve a request: a 500
# Status with a message and no reason.
REASONLESS_500 = json.dumps(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the required storage feature RequestWatchProgress is disabled",
        "code": 500,
    }
)


def test_a_status_without_a_reason_keeps_its_code_and_message() -> None:
    error = to_domain_error(parse_status(500, REASONLESS_500, {}), "jobs default/job-a")
    assert isinstance(error, errors.Unavailable)
    assert error.message == (
        "Kubernetes is unavailable (500 the required storage feature RequestWatchProgress "
        "is disabled)"
    )


def test_an_unexpected_status_without_a_reason_keeps_its_message() -> None:
    body = json.dumps({"kind": "Status", "message": "teapot", "code": 418})
    error = to_domain_error(parse_status(418, body, {}), "jobs default/job-a")
    assert isinstance(error, errors.Internal)
    assert error.message == "unexpected Kubernetes response 418 teapot"


def test_a_status_with_a_reason_still_shows_only_the_reason() -> None:
    body = json.dumps({"kind": "Status", "reason": "InternalError", "message": "etcd: x"})
    error = to_domain_error(parse_status(500, body, {}), "jobs default/job-a")
    assert error.message == "Kubernetes is unavailable (500 InternalError)"


def test_an_empty_body_says_that_nothing_was_given() -> None:
    error = to_domain_error(parse_status(503, b"", {}), "jobs default/job-a")
    assert error.message == "Kubernetes is unavailable (503 (no reason given))"
