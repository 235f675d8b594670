"""Jobs against the v1.36 captures (groups B, C, D): create defaults, Indexed pods, suspend and
resume, completion. The Job controller runs; pods move only when the test replays the captured
kubelet-like status patches, as on the capture's control plane, which had no kubelet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kubesim.cluster import EmbeddedCluster
from kubesim.controllers.timeutil import parse_time

from .wire_helpers import (
    HttpClient,
    Response,
    assert_same_shape,
    reference_v136,
    replay_v136,
    until,
)

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"
TRACKING = "batch.kubernetes.io/job-tracking"
INDEX = "batch.kubernetes.io/job-completion-index"
# The embedded server records no managedFields (deliberate, see test_reference_coverage).
UNRECORDED = ("*.managedFields*",)
DEFAULTED_V136 = ("B1-job-create-minimal-201", "B2-job-create-indexed-201", "B6-job-create-no-")
STARTED_V136 = (
    ("B1-job-create-minimal-201", "B5-job-minimal-get-after-controller"),
    ("B2-job-create-indexed-201", "B3-job-indexed-get-after-controller"),
)


_until = until


def _job(http: HttpClient, name: str) -> Callable[[], Any]:
    return lambda: http.request("GET", f"{JOBS}/{name}").json


def _pods(http: HttpClient, job: str) -> list[Any]:
    items = http.request("GET", PODS, f"labelSelector=job-name={job}").json["items"]
    return sorted(items, key=lambda pod: pod["metadata"]["creationTimestamp"])


def _created(replayed: tuple[Response, Any]) -> Any:
    response, captured = replayed
    assert response.status == captured["response"]["statusCode"] == 201, response.json
    return response.json


def _with_uid(value: Any, captured_uid: str, uid: str) -> Any:
    """The captured object with its Job's uid replaced by ours (selector, labels)."""
    if isinstance(value, dict):
        return {key: _with_uid(item, captured_uid, uid) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_uid(item, captured_uid, uid) for item in value]
    return uid if value == captured_uid else value


def _condition(job: Any, kind: str) -> Any:
    return next((c for c in job["status"].get("conditions") or [] if c["type"] == kind), None)


def _moved(replayed: tuple[Response, Any]) -> Any:
    """A captured kubelet-like pods/status patch replayed on our pod of the same role."""
    response, captured = replayed
    assert response.status == 200, response.json
    assert_same_shape(response.json["status"], captured["response"]["body"]["status"])
    return response.json


def _status_of(pod: str) -> str:
    return f"{PODS}/{pod}/status"


def _assert_event_reasons(http: HttpClient, job: str, captured: Any) -> None:
    want = [event["reason"] for event in captured["response"]["body"]["items"]]
    query = f"fieldSelector=involvedObject.name={job}"

    def reasons() -> list[str]:
        items = http.request("GET", EVENTS, query).json["items"]
        return [
            e["reason"] for e in sorted(items, key=lambda e: e["metadata"]["creationTimestamp"])
        ]

    assert _until(reasons, lambda got: sorted(got) == sorted(want), f"events {want}")


# -- B: create defaults and Indexed pods ------------------------------------------------------


@pytest.mark.parametrize("capture", DEFAULTED_V136)
def test_create_defaults_like_v136(http: HttpClient, capture: str) -> None:
    created = _created(replay_v136(http, capture))
    want = reference_v136(capture)["response"]["body"]
    want = _with_uid(want, want["metadata"]["uid"], created["metadata"]["uid"])
    assert created["spec"] == {**want["spec"]}  # manualSelector false, podReplacementPolicy, ...
    assert "creationTimestamp" not in created["spec"]["template"]["metadata"]
    assert created["metadata"]["labels"] == want["metadata"]["labels"]
    assert created["status"] == want["status"] == {}
    assert_same_shape(created, want, newer=UNRECORDED)


def test_job_labels_come_from_the_template_only_when_it_had_none(http: HttpClient) -> None:
    given = _created(replay_v136(http, "B1-job-create-minimal-201"))
    assert given["metadata"]["labels"] == {"suite": "ref"}
    unlabelled = _created(replay_v136(http, "B6-job-create-no-labels-201"))
    assert unlabelled["metadata"]["labels"] == unlabelled["spec"]["template"]["metadata"]["labels"]


@pytest.mark.parametrize(("create", "get"), STARTED_V136)
def test_status_after_the_controller_starts_the_job(
    client: HttpClient, create: str, get: str
) -> None:
    created = _created(replay_v136(client, create))
    want = reference_v136(get)["response"]["body"]
    _until(
        _job(client, created["metadata"]["name"]),
        lambda j: j["status"].get("active") == want["status"]["active"],
        "the pods",
    )
    response, _ = replay_v136(client, get)
    job = response.json
    assert {k: v for k, v in job["status"].items() if k != "startTime"} == {
        k: v for k, v in want["status"].items() if k != "startTime"
    }
    assert job["status"]["startTime"]
    assert_same_shape(job, want, newer=UNRECORDED)


def test_indexed_pods_like_v136(client: HttpClient) -> None:
    created = _created(replay_v136(client, "B2-job-create-indexed-201"))
    _until(lambda: _pods(client, "ref-indexed"), lambda pods: len(pods) == 2, "two pods")
    response, captured = replay_v136(client, "B4-job-indexed-pods-list")
    want = captured["response"]["body"]
    pods = sorted(response.json["items"], key=lambda pod: pod["metadata"]["labels"][INDEX])
    # The capture's pods mount openshift-service-ca.crt too (its control plane is OpenShift's
    # fork); the shape compares the first projected source only.
    assert_same_shape({**response.json, "items": pods}, want, newer=UNRECORDED)
    want_pod = want["items"][0]
    for index, pod in enumerate(pods):
        meta = pod["metadata"]
        assert meta["finalizers"] == want_pod["metadata"]["finalizers"] == [TRACKING]
        assert meta["annotations"] == {INDEX: str(index)}
        assert meta["labels"][INDEX] == str(index)
        assert meta["generateName"] == f"ref-indexed-{index}-"
        assert pod["spec"]["hostname"] == f"ref-indexed-{index}"
        assert pod["spec"]["containers"][0]["env"] == want_pod["spec"]["containers"][0]["env"]
        assert meta["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
        assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


# -- C: suspend and resume a running Job ------------------------------------------------------


def test_suspend_and_resume_like_v136(client: HttpClient, controlled: EmbeddedCluster) -> None:
    _created(replay_v136(client, "C1-suspend-job-create-201"))
    first = _until(lambda: _pods(client, "ref-suspend"), bool, "the pod")[0]["metadata"]["name"]
    _moved(replay_v136(client, "C2-suspend-job-pod-patch-running", path=_status_of(first)))
    want = reference_v136("C3-")["response"]["body"]
    running = _until(_job(client, "ref-suspend"), lambda j: j["status"].get("ready"), "ready")
    assert_same_shape(running, want, newer=UNRECORDED)
    started = running["status"]["startTime"]

    suspended, captured = replay_v136(client, "C4-suspend-job-patch-suspend-true")
    assert suspended.status == 200
    # The PATCH answers before the controller reacts: still running, still started.
    assert suspended.json["status"] == running["status"]
    assert_same_shape(suspended.json, captured["response"]["body"], newer=UNRECORDED)

    want = reference_v136("C5-suspend-job-suspended-settled")["response"]["body"]
    job = _until(_job(client, "ref-suspend"), lambda j: "startTime" not in j["status"], "settle")
    condition = _condition(job, "Suspended")
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "True",
        "JobSuspended",
        "Job suspended",
    )
    assert_same_shape(job, want, newer=UNRECORDED)  # no startTime, no active
    assert {k: v for k, v in job["status"].items() if k != "conditions"} == {
        k: v for k, v in want["status"].items() if k != "conditions"
    }
    response, captured = replay_v136(client, "C5b-suspend-job-pods-after-suspend")
    assert response.json["items"] == captured["response"]["body"]["items"] == []

    # Resume a clock second later, so the new startTime can be told from the first.
    later = parse_time(started) + timedelta(seconds=1)
    _until(controlled.clock.now, lambda now: now >= later, "the next second")
    resumed, captured = replay_v136(client, "C6-suspend-job-patch-resume")
    assert resumed.status == 200
    assert_same_shape(resumed.json, captured["response"]["body"], newer=UNRECORDED)
    want = reference_v136("C7-suspend-job-resumed-settled")["response"]["body"]
    job = _until(_job(client, "ref-suspend"), lambda j: j["status"].get("active"), "resume")
    condition = _condition(job, "Suspended")
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "False",
        "JobResumed",
        "Job resumed",
    )
    assert job["status"]["startTime"] > started  # a new start, at the resume
    assert_same_shape(job, want, newer=UNRECORDED)
    _assert_event_reasons(client, "ref-suspend", reference_v136("C8-suspend-job-events"))


# -- D: completion -----------------------------------------------------------------------------


def test_completion_like_v136(client: HttpClient) -> None:
    _created(replay_v136(client, "D1-complete-job-create-201"))
    pod = _until(lambda: _pods(client, "ref-complete"), bool, "the pod")[0]
    name = pod["metadata"]["name"]
    before, captured = replay_v136(client, "D2-complete-job-pod-before", path=f"{PODS}/{name}")
    want_pod = captured["response"]["body"]
    assert before.json["metadata"]["finalizers"] == want_pod["metadata"]["finalizers"]
    assert_same_shape(before.json, want_pod, newer=UNRECORDED)

    _moved(replay_v136(client, "D3-complete-job-pod-patch-running", path=_status_of(name)))
    _until(_job(client, "ref-complete"), lambda j: j["status"].get("ready"), "ready")
    _moved(replay_v136(client, "D4-complete-job-pod-patch-succeeded", path=_status_of(name)))

    want = reference_v136("D5-complete-job-get-complete")["response"]["body"]
    job = _until(_job(client, "ref-complete"), lambda j: _condition(j, "Complete"), "Complete")
    # Both conditions arrive in one write, with the same reason, message and times.
    interim, final = job["status"]["conditions"]
    assert (interim["type"], final["type"]) == ("SuccessCriteriaMet", "Complete")
    assert {**interim, "type": ""} == {**final, "type": ""}
    assert (final["reason"], final["message"]) == (
        want["status"]["conditions"][1]["reason"],
        want["status"]["conditions"][1]["message"],
    )
    assert job["status"]["completionTime"] == final["lastTransitionTime"]
    assert_same_shape(job, want, newer=UNRECORDED)
    # Counted, so the finalizer goes (just after the status write); the pod stays.
    _until(
        lambda: client.request("GET", f"{PODS}/{name}").json,
        lambda p: "finalizers" not in p["metadata"],
        "the finalizer to go",
    )
    after, captured = replay_v136(client, "D6-complete-job-pod-after", path=f"{PODS}/{name}")
    assert after.json["status"]["phase"] == "Succeeded"
    assert_same_shape(after.json, captured["response"]["body"], newer=UNRECORDED)
    _assert_event_reasons(client, "ref-complete", reference_v136("D7-complete-job-events"))


def test_a_deleted_jobs_tracked_pods_go_with_it(client: HttpClient) -> None:
    _created(replay_v136(client, "D1-complete-job-create-201"))
    _until(lambda: _pods(client, "ref-complete"), bool, "the pod")
    response = client.request(
        "DELETE", f"{JOBS}/ref-complete", body={"propagationPolicy": "Background"}
    )
    assert response.status == 200
    # The tracking finalizer is released, so the garbage collector's deletion completes.
    _until(lambda: _pods(client, "ref-complete"), lambda pods: pods == [], "the pods to go")
