"""ConfigMaps and Leases against the v1.36 captures (F1-F4, G1-G4): ownership by a Job and the
garbage collector, the size limit, Lease updates, conflicts and validation."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from .wire_helpers import (
    HttpClient,
    assert_same_shape,
    assert_same_status,
    job_body,
    reference_v136,
    replay_v136,
)

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
# Fields the embedded server does not track (managedFields) or that the capture lacks.
_UNTRACKED = (".metadata.managedFields*",)
_GC_WAIT_SECONDS = 10.0


def _configmap(name: str, **fields: Any) -> Any:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **fields}


def _wait_until_gone(http: HttpClient, path: str) -> Any:
    """The first 404 of ``path``, polling a bounded time (the collector runs on its own thread)."""
    deadline = time.monotonic() + _GC_WAIT_SECONDS
    while True:
        response = http.request("GET", path)
        if response.status == 404 or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


@pytest.mark.controllers("garbage-collector")
def test_configmap_owned_by_a_job_goes_with_it_on_background_delete(http: HttpClient) -> None:
    job = http.request("POST", "/apis/batch/v1/namespaces/default/jobs", body=job_body("ref-owner"))
    assert job.status == 201, job.json
    uid = job.json["metadata"]["uid"]
    body = reference_v136("F1-")["request"]["body"]
    body["metadata"]["ownerReferences"][0]["uid"] = uid
    created, captured = replay_v136(http, "F1-configmap-owned-by-job-create-201", body=body)
    assert created.status == 201, created.json
    want = captured["response"]["body"]
    assert_same_shape(created.json, want, newer=_UNTRACKED)
    assert created.json["metadata"]["ownerReferences"] == body["metadata"]["ownerReferences"]
    assert created.json["data"] == want["data"]

    deleted, captured = replay_v136(http, "F2-job-delete-background")
    assert deleted.status == 200
    assert deleted.json == {
        **captured["response"]["body"],
        "details": {
            **captured["response"]["body"]["details"],
            "uid": uid,
        },
    }

    gone = _wait_until_gone(http, f"{CONFIGMAPS}/ref-owned")
    assert_same_status(gone, reference_v136("F3-configmap-get-after-gc-404"))


@pytest.mark.controllers("garbage-collector")
def test_configmap_with_another_live_owner_survives_losing_one(http: HttpClient) -> None:
    owners = []
    for name in ("owner-a", "owner-b"):
        job = http.request("POST", "/apis/batch/v1/namespaces/default/jobs", body=job_body(name))
        owners.append(job.json)
    references = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": o["metadata"]["name"],
            "uid": o["metadata"]["uid"],
        }
        for o in owners
    ]
    body = _configmap("shared", data={"k": "v"})
    body["metadata"]["ownerReferences"] = references
    assert http.request("POST", CONFIGMAPS, body=body).status == 201
    http.request(
        "DELETE",
        "/apis/batch/v1/namespaces/default/jobs/owner-a",
        body={"propagationPolicy": "Background"},
    )
    # The collector strips the dead owner's reference and keeps the ConfigMap.
    deadline = time.monotonic() + _GC_WAIT_SECONDS
    kept = http.request("GET", f"{CONFIGMAPS}/shared").json
    while len(kept["metadata"]["ownerReferences"]) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
        kept = http.request("GET", f"{CONFIGMAPS}/shared").json
    assert kept["metadata"]["ownerReferences"] == references[1:]


def test_configmap_over_one_mebibyte_is_invalid(http: HttpClient) -> None:
    body = reference_v136("F4-")["request"]["body"]
    body["data"]["big"] = "x" * 1_126_912  # the capture elides the value it sent
    response, captured = replay_v136(http, "F4-configmap-too-big-422", body=body)
    assert_same_status(response, captured)


def test_configmap_size_counts_data_and_binary_data_bytes(http: HttpClient) -> None:
    half = 512 * 1024
    at_limit = _configmap(
        "at-limit",
        data={"text": "é" * (half // 2)},  # two bytes each in UTF-8
        binaryData={"blob": base64.b64encode(b"\0" * half).decode()},
    )
    assert http.request("POST", CONFIGMAPS, body=at_limit).status == 201
    over = _configmap(
        "over",
        data={"text": "é" * (half // 2)},
        binaryData={"blob": base64.b64encode(b"\0" * (half + 1)).decode()},
    )
    response = http.request("POST", CONFIGMAPS, body=over)
    assert response.status == 422
    assert response.json["details"]["causes"][0]["field"] == "[]"


def test_configmap_keys_are_checked_as_upstream(http: HttpClient) -> None:
    body = _configmap(
        "keys",
        data={"bad key": "v", "..dots": "v", "ok": "v"},
        binaryData={"ok": base64.b64encode(b"x").decode()},
    )
    response = http.request("POST", CONFIGMAPS, body=body)
    assert response.status == 422
    causes = [(c["field"], c["message"]) for c in response.json["details"]["causes"]]
    assert causes == [
        (
            "data[bad key]",
            'Invalid value: "bad key": a valid config key must consist of alphanumeric '
            "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
            "regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
        ("data[..dots]", "Invalid value: \"..dots\": must not start with '..'"),
        ("binaryData[ok]", 'Invalid value: "ok": duplicate of key present in data'),
    ]


def test_immutable_configmap_keeps_its_data(http: HttpClient) -> None:
    body = _configmap("frozen", data={"k": "v"}, immutable=True)
    assert http.request("POST", CONFIGMAPS, body=body).status == 201
    changed = http.request(
        "PATCH",
        f"{CONFIGMAPS}/frozen",
        body={"data": {"k": "w"}},
        content_type="application/merge-patch+json",
    )
    assert changed.status == 422
    assert changed.json["message"] == (
        'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set'
    )
    relabelled = http.request(
        "PATCH",
        f"{CONFIGMAPS}/frozen",
        body={"metadata": {"labels": {"a": "b"}}},
        content_type="application/merge-patch+json",
    )
    assert relabelled.status == 200
    assert relabelled.json["data"] == {"k": "v"}


def test_lease_create_update_and_stale_update(http: HttpClient) -> None:
    created, captured = replay_v136(http, "G1-lease-create-201")
    assert created.status == 201, created.json
    assert_same_shape(created.json, captured["response"]["body"], newer=_UNTRACKED)
    assert created.json["spec"] == captured["response"]["body"]["spec"]

    current_rv = created.json["metadata"]["resourceVersion"]
    body = reference_v136("G2-")["request"]["body"]
    body["metadata"] = {**created.json["metadata"], "resourceVersion": current_rv}
    updated, captured = replay_v136(http, "G2-lease-update-put-200", body=body)
    assert updated.status == 200, updated.json
    assert updated.json["spec"] == captured["response"]["body"]["spec"]
    assert int(updated.json["metadata"]["resourceVersion"]) > int(current_rv)

    stale = reference_v136("G3-")["request"]["body"]
    stale["metadata"] = {**created.json["metadata"], "resourceVersion": current_rv}
    response, captured = replay_v136(http, "G3-lease-update-stale-rv-409", body=stale)
    assert_same_status(response, captured)
    holder = http.request("GET", f"{LEASES}/ref-lease").json["spec"]["holderIdentity"]
    assert holder == "holder-a"  # the stale write changed nothing


def test_lease_with_zero_duration_is_invalid(http: HttpClient) -> None:
    response, captured = replay_v136(http, "G4-lease-create-bad-duration-422")
    assert_same_status(response, captured)


def _lease(name: str, **spec: Any) -> Any:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_lease_times_are_micro_times_in_utc(http: HttpClient) -> None:
    body = _lease("offset", renewTime="2026-01-01T02:00:00.250000+02:00")
    created = http.request("POST", LEASES, body=body)
    assert created.status == 201, created.json
    assert created.json["spec"]["renewTime"] == "2026-01-01T00:00:00.250000Z"
    # metav1.MicroTime decodes exactly six fractional digits: seconds precision is refused.
    coarse = http.request("POST", LEASES, body=_lease("coarse", renewTime="2026-01-01T00:00:00Z"))
    assert coarse.status == 400
    assert coarse.json["reason"] == "BadRequest"
    assert "2026-01-01T00:00:00Z" in coarse.json["message"]


def test_negative_lease_transitions_are_invalid(http: HttpClient) -> None:
    response = http.request("POST", LEASES, body=_lease("neg", leaseTransitions=-1))
    assert response.status == 422
    assert response.json["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: -1: must be greater than or equal to 0",
            "field": "spec.leaseTransitions",
        }
    ]


def test_discovery_serves_configmaps_and_leases(http: HttpClient) -> None:
    core = {r["name"]: r for r in http.request("GET", "/api/v1").json["resources"]}
    assert core["configmaps"]["kind"] == "ConfigMap"
    assert core["configmaps"]["shortNames"] == ["cm"]
    assert "deletecollection" in core["configmaps"]["verbs"]
    groups = [g["name"] for g in http.request("GET", "/apis").json["groups"]]
    assert "coordination.k8s.io" in groups
    coordination = http.request("GET", "/apis/coordination.k8s.io/v1").json
    assert [(r["name"], r["kind"], r["namespaced"]) for r in coordination["resources"]] == [
        ("leases", "Lease", True)
    ]


def test_configmap_watch_patch_and_delete_collection(http: HttpClient) -> None:
    listed = http.request("GET", CONFIGMAPS).json
    assert listed["kind"] == "ConfigMapList"
    since = listed["metadata"]["resourceVersion"]
    for name in ("one", "two"):
        body = _configmap(name, data={"k": name})
        body["metadata"]["labels"] = {"set": "a"}
        assert http.request("POST", CONFIGMAPS, body=body).status == 201
    patched = http.request(
        "PATCH",
        f"{CONFIGMAPS}/one",
        body=[{"op": "add", "path": "/data/extra", "value": "x"}],
        content_type="application/json-patch+json",
    )
    assert patched.json["data"] == {"k": "one", "extra": "x"}
    removed = http.request("DELETE", CONFIGMAPS, query="labelSelector=set=a")
    assert removed.status == 200
    assert http.request("GET", CONFIGMAPS).json["items"] == []
    watched = http.request(
        "GET", CONFIGMAPS, query=f"watch=1&resourceVersion={since}&timeoutSeconds=1"
    )
    events = [(e["type"], e["object"]["metadata"]["name"]) for e in watched.lines]
    assert events == [
        ("ADDED", "one"),
        ("ADDED", "two"),
        ("MODIFIED", "one"),
        ("DELETED", "one"),
        ("DELETED", "two"),
    ]
