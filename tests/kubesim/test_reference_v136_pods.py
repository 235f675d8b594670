"""Pod QoS against the v1.36 captures (group A): the API server sets ``status.qosClass`` when it
creates a pod, after copying limits into missing requests, and pods/status may not change it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .wire_helpers import (
    HttpClient,
    assert_same_shape,
    assert_same_status,
    reference_v136,
    replay_v136,
)

# The embedded server records no managedFields (deliberate, see test_reference_coverage).
UNRECORDED = ("*.managedFields*",)
CREATES_V136 = (
    ("A1-pod-qos-besteffort-201", "BestEffort"),
    ("A2-pod-qos-burstable-requests-only-201", "Burstable"),
    ("A3-pod-qos-guaranteed-201", "Guaranteed"),
    ("A4-pod-qos-limits-only-201", "Guaranteed"),
)


def _created(http: HttpClient, name: str) -> tuple[Any, Any]:
    response, captured = replay_v136(http, name)
    assert response.status == captured["response"]["statusCode"] == 201, response.json
    return response.json, captured["response"]["body"]


@pytest.mark.parametrize(("capture", "qos"), CREATES_V136, ids=[c for c, _ in CREATES_V136])
def test_create_sets_the_qos_class(http: HttpClient, capture: str, qos: str) -> None:
    got, want = _created(http, capture)
    assert got["status"] == want["status"] == {"phase": "Pending", "qosClass": qos}
    assert [c["resources"] for c in got["spec"]["containers"]] == [
        c["resources"] for c in want["spec"]["containers"]
    ]
    assert got["metadata"]["generation"] == want["metadata"]["generation"] == 1
    assert_same_shape(got, want, newer=UNRECORDED)


def test_limits_only_get_the_limits_as_requests(http: HttpClient) -> None:
    got, _ = _created(http, "A4-pod-qos-limits-only-201")
    resources = got["spec"]["containers"][0]["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "100m", "memory": "64Mi"}


def test_pod_status_may_not_change_the_qos_class(http: HttpClient) -> None:
    _created(http, "A2-pod-qos-burstable-requests-only-201")
    refused, captured = replay_v136(http, "A5-pod-status-patch-qosclass-change-422")
    assert_same_status(refused, captured)
    unchanged = http.request("GET", captured["request"]["path"].removesuffix("/status"))
    assert unchanged.json["status"] == {"phase": "Pending", "qosClass": "Burstable"}


def test_a_kubelet_like_status_patch_keeps_the_qos_class(http: HttpClient) -> None:
    _created(http, "A2-pod-qos-burstable-requests-only-201")
    response, captured = replay_v136(http, "A6-pod-status-patch-running-200")
    want = captured["response"]["body"]
    assert response.status == 200
    got = response.json
    assert got["status"]["qosClass"] == want["status"]["qosClass"] == "Burstable"
    assert got["status"]["phase"] == "Running"
    assert_same_shape(got, want, newer=UNRECORDED)


def test_a_status_put_without_the_qos_class_is_refused(http: HttpClient) -> None:
    pod, _ = _created(http, "A1-pod-qos-besteffort-201")
    path = reference_v136("A1-")["request"]["path"] + "/" + pod["metadata"]["name"] + "/status"
    pod["status"] = {"phase": "Running"}  # a replacement, not a merge: the class is dropped
    response = http.request("PUT", path, body=pod)
    assert response.status == 422
    assert response.json["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "": field is immutable',
            "field": "status.qosClass",
        }
    ]
