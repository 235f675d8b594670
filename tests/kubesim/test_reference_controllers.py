"""Controller behaviour against the captured kube-controller-manager (k8s-reference 4x-7x, Ax,
Dx, E0, 16b, 17).

The captures were made with no kubelet: the test acted as one by patching ``pods/status``. These
tests do the same: the job, cronjob and TTL controllers run, the simulated kubelet does not, and
the captured status patches are replayed against the pods our job controller created.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesim.apiserver.objects import parse_rfc3339 as parse_time
from kubesim.cluster import EmbeddedCluster
from kubesim.controllers import ControllerManager

from .wire_helpers import HttpClient, assert_same_shape, reference, replay, until

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"
MERGE_PATCH = "application/merge-patch+json"

# The embedded server does not record managedFields (deliberate, see test_reference_coverage).
UNRECORDED = ("*.managedFields*",)
# What current Kubernetes adds to the 1.24 shapes (each is the upstream behaviour since 1.27+).
NEWER_JOB = (
    # batch.kubernetes.io/job-name and controller-uid labels next to the legacy ones (1.27).
    "*.labels.batch.kubernetes.io/* extra",
    "*.matchLabels.batch.kubernetes.io/controller-uid extra",
    "*.matchLabels.controller-uid missing",
    # status.terminating / uncountedTerminatedPods with pod-tracking finalizers (1.26+),
    # podReplacementPolicy / manualSelector defaults (1.28+).
    ".status.uncountedTerminatedPods extra",
    ".status.terminating extra",
    ".spec.podReplacementPolicy extra",
    ".spec.manualSelector extra",
    # Conditions gained reason/message (1.26+) - Complete and the interim SuccessCriteriaMet.
    ".status.conditions[].reason extra",
    ".status.conditions[].message extra",
    # An unset creationTimestamp is omitted, not null, in template metadata (v1.36 B1).
    "*emplate.metadata.creationTimestamp missing",
    *UNRECORDED,
)
NEWER_POD = (
    "*.labels.batch.kubernetes.io/* extra",
    "*.metadata.finalizers extra",  # batch.kubernetes.io/job-tracking (1.26+)
    "*.metadata.generation extra",  # pods have a generation since 1.33 (v1.36 A1)
    *UNRECORDED,
)


_until = until


def _get(http: HttpClient, path: str, query: str = "") -> Any:
    return http.request("GET", path, query).json


def _job_pods(http: HttpClient, job: str) -> list[Any]:
    items: list[Any] = _get(http, PODS, f"labelSelector=job-name={job}")["items"]
    return sorted(items, key=lambda pod: pod["metadata"]["creationTimestamp"])


def _replay_pod_status(http: HttpClient, capture: str, pod: str) -> Any:
    """Send the captured kubelet-style status patch to our pod of the same role (the pod's
    spec comes from another Job's template, so only the status is compared)."""
    response, captured = replay(http, capture, path=f"{PODS}/{pod}/status")
    assert response.status == 200, response.json
    assert_same_shape(response.json["status"], captured["response"]["body"]["status"])
    return response.json


def test_parallel_job_lifecycle(client: HttpClient) -> None:
    created, captured = replay(client, "40-lifecycle-job-create-201")
    assert created.status == 201
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    job_path = f"{JOBS}/ref-lifecycle"
    job = _until(lambda: _get(client, job_path), lambda j: j["status"].get("active") == 2, "pods")
    assert_same_shape(job, reference("41-lifecycle-job-after")["response"]["body"], newer=NEWER_JOB)
    assert job["status"]["ready"] == 0
    pods = _job_pods(client, "ref-lifecycle")
    want_pods = reference("42-lifecycle-pods-list")["response"]["body"]
    assert_same_shape(
        {**_get(client, PODS, "labelSelector=job-name=ref-lifecycle"), "items": pods},
        want_pods,
        newer=NEWER_POD,
    )
    want_meta = want_pods["items"][0]["metadata"]
    for pod in pods:
        assert pod["metadata"]["generateName"] == want_meta["generateName"] == "ref-lifecycle-"
        assert pod["metadata"]["ownerReferences"] == [
            {**want_meta["ownerReferences"][0], "uid": job["metadata"]["uid"]}
        ]
    first = pods[0]["metadata"]["name"]
    _replay_pod_status(client, "43-lifecycle-pod1-patch-status-running", first)
    job = _until(lambda: _get(client, job_path), lambda j: j["status"].get("ready") == 1, "ready")
    assert_same_shape(job, reference("44-lifecycle-job-one")["response"]["body"], newer=NEWER_JOB)
    _replay_pod_status(client, "45-lifecycle-pod1-patch-status-succeeded", first)
    job = _until(
        lambda: _get(client, job_path),
        lambda j: j["status"].get("succeeded") == 1 and j["status"].get("active") == 2,
        "a third pod",
    )
    want = reference("46-lifecycle-job-one-succeeded")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    second, third = [
        p["metadata"]["name"]
        for p in _job_pods(client, "ref-lifecycle")
        if p["metadata"]["name"] != first
    ]
    for name in (second, third):
        _replay_pod_status(client, "43-lifecycle-pod1-patch-status-running", name)
    _replay_pod_status(client, "45-lifecycle-pod1-patch-status-succeeded", second)
    job = _until(
        lambda: _get(client, job_path),
        lambda j: j["status"].get("succeeded") == 2 and j["status"].get("active") == 1,
        "two succeeded, no new pod",
    )
    want = reference("47-lifecycle-job-two-succeeded")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    assert len(_job_pods(client, "ref-lifecycle")) == 3  # one completion left: no 4th pod
    _replay_pod_status(client, "45-lifecycle-pod1-patch-status-succeeded", third)
    job = _until(lambda: _get(client, job_path), lambda j: j["status"].get("conditions"), "done")
    final = reference("48-lifecycle-job-complete")["response"]["body"]
    assert_same_shape(job, final, newer=NEWER_JOB)
    assert [c["type"] for c in job["status"]["conditions"]][-1] == "Complete"
    assert (job["status"]["succeeded"], "active" in job["status"]) == (3, False)
    pods_after = _get(client, PODS, "labelSelector=job-name=ref-lifecycle")
    want_after = reference("48b-lifecycle-pods-list-final")["response"]["body"]
    assert len(pods_after["items"]) == len(want_after["items"])  # completed pods are kept
    assert_same_shape(pods_after, want_after, newer=NEWER_POD)
    _assert_events(client, "ref-lifecycle", "48c-lifecycle-events-for-job")
    everything = _get(client, EVENTS)
    want_everything = reference("48d-lifecycle-events-namespace")["response"]["body"]
    assert_same_shape(everything, want_everything, newer=UNRECORDED)
    renamed, captured_renamed = replay(client, "48e-lifecycle-events-eventsk8sio-v1")
    assert renamed.status == 200
    want_renamed = captured_renamed["response"]["body"]
    assert_same_shape(renamed.json, want_renamed, newer=UNRECORDED)
    assert sorted(e["reason"] for e in renamed.json["items"]) == sorted(
        e["reason"] for e in want_renamed["items"]
    )
    assert {e["regarding"]["name"] for e in renamed.json["items"]} == {"ref-lifecycle"}
    # The whole lifecycle replays as a watch from before the Job existed (49, 49b).
    for capture in ("49-watch-job-lifecycle-stream", "49b-watch-pods-lifecycle-stream"):
        captured_stream = reference(capture)
        request = captured_stream["request"]
        query = request["query"].replace("resourceVersion=251", "resourceVersion=1")
        query = query.replace("timeoutSeconds=90", "timeoutSeconds=1")
        events = client.request("GET", request["path"], query).lines
        want_events = captured_stream["response"]["events"]
        assert events[0]["type"] == want_events[0]["type"] == "ADDED"
        assert {e["type"] for e in events} == {e["type"] for e in want_events}
        newer = NEWER_JOB if "job" in capture.split("-")[2] else NEWER_POD
        for got_event, want_event in ((events[0], want_events[0]), (events[-1], want_events[-1])):
            assert_same_shape(got_event["object"], want_event["object"], newer=newer)


def _assert_events(http: HttpClient, involved: str, capture: str) -> None:
    """The Events of one object, as ``fieldSelector=involvedObject.name=`` lists them."""
    want = reference(capture)["response"]["body"]
    # Events are recorded just after the status write that a test waits for.
    got = _until(
        lambda: _get(http, EVENTS, f"fieldSelector=involvedObject.name={involved}"),
        lambda events: len(events["items"]) >= len(want["items"]),
        f"the events of {involved}",
    )
    assert_same_shape(got, want, newer=UNRECORDED)
    assert sorted(_said(e) for e in got["items"]) == sorted(_said(e) for e in want["items"])
    for event in got["items"]:
        assert re.fullmatch(rf"{re.escape(involved)}\.[0-9a-f]{{16}}", event["metadata"]["name"])
        assert event["source"]["component"] in ("job-controller", "cronjob-controller")


def _said(event: Any) -> tuple[str, str, str]:
    """An Event's type, reason and message, with generated name suffixes blanked."""
    message = re.sub(r"-(\d{8}|[a-z0-9]{5})\b", "-<generated>", event["message"])
    return event["type"], event["reason"], message


def _status_of(http: HttpClient, job: str) -> Callable[[], Any]:
    return lambda: _get(http, f"{JOBS}/{job}")


def _condition(job: Any, kind: str) -> Any:
    found = [c for c in job["status"].get("conditions", []) if c["type"] == kind]
    return found[0] if found else None


def test_failed_pod_with_backoff_limit_zero_fails_the_job(client: HttpClient) -> None:
    created, captured = replay(client, "50-failed-job-create-backofflimit0")
    assert created.status == 201
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    pods = _until(lambda: _job_pods(client, "ref-backoff0"), bool, "the pod")
    _replay_pod_status(client, "51-failed-job-pod-patch-status-failed", pods[0]["metadata"]["name"])
    job = _until(_status_of(client, "ref-backoff0"), lambda j: _condition(j, "Failed"), "Failed")
    want = reference("52-failed-job-backofflimitexceeded")["response"]["body"]
    # Current Kubernetes first records FailureTarget (1.28+), then Failed.
    assert_same_shape(job, want, newer=NEWER_JOB)
    want_failed = _condition(want, "Failed")
    got_failed = _condition(job, "Failed")
    assert (got_failed["reason"], got_failed["message"]) == (
        want_failed["reason"],
        want_failed["message"],
    )
    assert job["status"]["failed"] == 1 and "completionTime" not in job["status"]
    _assert_events(client, "ref-backoff0", "53-failed-job-events")


def test_active_deadline_fails_the_job_and_removes_its_pod(
    stepped_client: HttpClient, stepped_clock: SteppedClock
) -> None:
    """Deliberate deviation: the 1.24 controller noticed the deadline only when some pod update
    re-synced the Job (56a, 56c: still active 20 s after a 2 s deadline). Current Kubernetes
    requeues the Job for its deadline, so ours fails it on time without the pod update of 57.

    The clock moves only when the test moves it: the active Job is read before its 2 s
    deadline, however long a loaded machine takes to get there."""
    client = stepped_client
    created, captured = replay(client, "54-deadline-job-create")
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    job = _until(_status_of(client, "ref-deadline"), lambda j: "startTime" in j["status"], "start")
    for before in ("55-deadline-job-before", "56a-deadline-job-6s", "56c-deadline-job-20s"):
        # The active shape the captures show before the deadline is acted upon.
        assert_same_shape(
            {**job, "status": {**job["status"], "active": 1, "ready": 0}},
            reference(before)["response"]["body"],
            newer=NEWER_JOB,
        )
    pending = _get(client, PODS, "labelSelector=job-name=ref-deadline")
    assert_same_shape(
        pending, reference("56b-deadline-job-pods-6s")["response"]["body"], newer=NEWER_POD
    )
    stepped_clock.advance(3)  # past the deadline; nothing else happens to the Job or its pod
    job = _until(_status_of(client, "ref-deadline"), lambda j: _condition(j, "Failed"), "Failed")
    want = reference("58-deadline-job-deadlineexceeded")["response"]["body"]
    assert_same_shape(job, want, newer=(*NEWER_JOB, ".status.ready*"))
    assert _condition(job, "Failed")["reason"] == "DeadlineExceeded"
    assert _condition(job, "Failed")["message"] == _condition(want, "Failed")["message"]
    # The unscheduled pod goes at once (58b).
    _until(lambda: _job_pods(client, "ref-deadline"), lambda p: p == [], "pod removal")
    assert reference("58b-deadline-job-pods-after")["response"]["body"]["items"] == []
    _assert_events(client, "ref-deadline", "58c-deadline-job-events")


def test_suspend_resume_and_suspend_again(client: HttpClient) -> None:
    replay(client, "60-suspend-job-create-suspended")
    job = _until(_status_of(client, "ref-suspend"), lambda j: _condition(j, "Suspended"), "sync")
    want = reference("61-suspend-job-suspended-condition")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    assert _condition(job, "Suspended") == {
        **_condition(want, "Suspended"),
        "lastProbeTime": _condition(job, "Suspended")["lastProbeTime"],
        "lastTransitionTime": _condition(job, "Suspended")["lastTransitionTime"],
    }
    assert _job_pods(client, "ref-suspend") == []
    resumed, captured = replay(client, "62-suspend-job-patch-resume")
    assert_same_shape(resumed.json, captured["response"]["body"], newer=NEWER_JOB)
    job = _until(_status_of(client, "ref-suspend"), lambda j: j["status"].get("active"), "resume")
    want = reference("63-suspend-job-resumed")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    got_condition, want_condition = _condition(job, "Suspended"), _condition(want, "Suspended")
    assert (got_condition["status"], got_condition["reason"], got_condition["message"]) == (
        want_condition["status"],
        want_condition["reason"],
        want_condition["message"],
    )
    started = job["status"]["startTime"]
    _assert_events(client, "ref-suspend", "64-suspend-job-events")
    again, captured = replay(client, "65-suspend-job-resuspend-patch")
    assert_same_shape(again.json, captured["response"]["body"], newer=NEWER_JOB)
    job = _until(
        _status_of(client, "ref-suspend"),
        lambda j: _condition(j, "Suspended")["status"] == "True" and not j["status"].get("active"),
        "re-suspension",
    )
    want = reference("66-suspend-job-resuspended")["response"]["body"]
    # 1.24 kept startTime while suspended; current controllers remove it once the pods are
    # gone (v1.36 C5, replayed in test_reference_v136_jobs).
    job = _until(_status_of(client, "ref-suspend"), lambda j: "startTime" not in j["status"], "")
    assert_same_shape(job, want, newer=(*NEWER_JOB, ".status.startTime missing"))
    assert started and "failed" not in job["status"]


def test_ttl_after_finished_deletes_job_and_pods(client: HttpClient) -> None:
    start = _get(client, JOBS)["metadata"]["resourceVersion"]
    created, captured = replay(client, "70-ttl-job-create")
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    pod = _until(lambda: _job_pods(client, "ref-ttl"), bool, "the pod")[0]["metadata"]["name"]
    # 57 is the kubelet-style Running patch the deadline capture used to trigger a re-sync;
    # our controller needs no trigger (deviation b), so it serves as this pod's start instead.
    _replay_pod_status(client, "57-deadline-job-pod-patch-running", pod)
    # 71 is a snapshot racing the controller; only the object around the status is comparable,
    # so it is read before the pod finishes: on a loaded machine the TTL controller (on the
    # test's fast clock) may have deleted the Job by the time a read after the patch arrives.
    job = _get(client, f"{JOBS}/ref-ttl")
    _replay_pod_status(client, "45-lifecycle-pod1-patch-status-succeeded", pod)
    just_after = reference("71-ttl-job-just-after-pod-succeeded")["response"]["body"]
    assert_same_shape({**job, "status": {}}, {**just_after, "status": {}}, newer=NEWER_JOB)
    assert job["spec"]["ttlSecondsAfterFinished"] == just_after["spec"]["ttlSecondsAfterFinished"]
    gone = _until(
        lambda: client.request("GET", f"{JOBS}/ref-ttl"), lambda r: r.status == 404, "TTL"
    )
    assert (
        gone.json["reason"] == reference("72-ttl-job-get-after-ttl")["response"]["body"]["reason"]
    )
    _until(lambda: _job_pods(client, "ref-ttl"), lambda p: p == [], "pod collection")
    assert reference("72b-ttl-job-pods-after")["response"]["body"]["items"] == []
    captured_watch = reference("73-ttl-job-watch-stream")
    query = captured_watch["request"]["query"].replace(
        "resourceVersion=325", f"resourceVersion={start}"
    )
    events = client.request("GET", JOBS, query.replace("timeoutSeconds=30", "timeoutSeconds=1"))
    changes = [event for event in events.lines if event["type"] != "BOOKMARK"]
    assert changes[0]["type"] == "ADDED" and changes[-1]["type"] == "DELETED"
    want_events = [e for e in captured_watch["response"]["events"] if e["type"] != "BOOKMARK"]
    deleted = changes[-1]["object"]
    # The TTL controller deletes in the foreground: the last state shows it (fact 29).
    assert deleted["metadata"]["finalizers"] == want_events[-1]["object"]["metadata"]["finalizers"]
    assert "deletionTimestamp" in deleted["metadata"]
    assert_same_shape(deleted, want_events[-1]["object"], newer=NEWER_JOB)


def test_indexed_job(client: HttpClient) -> None:
    created, captured = replay(client, "D0-indexed-job-create")
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    pods = _until(lambda: _job_pods(client, "ref-indexed"), lambda p: len(p) == 2, "two pods")
    want = reference("D1-indexed-job-pods")["response"]["body"]
    # job-completion-index became a label too in 1.28; pod names follow <job>-<index>-xxxxx.
    assert_same_shape(
        {**_get(client, PODS, "labelSelector=job-name=ref-indexed"), "items": pods},
        want,
        newer=NEWER_POD,
    )
    indexes = sorted(
        pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for pod in pods
    )
    assert indexes == ["0", "1"]
    for pod in pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["generateName"] == f"ref-indexed-{index}-"
        assert pod["spec"]["hostname"] == f"ref-indexed-{index}"
        env = pod["spec"]["containers"][0]["env"]
        # 1.24 read the index from the annotation; current controllers read the label
        # (v1.36 B4), which tests/embedded/test_reference_v136_jobs.py checks.
        field_path = env[0]["valueFrom"]["fieldRef"]["fieldPath"]
        assert field_path == "metadata.labels['batch.kubernetes.io/job-completion-index']"
        assert [item["name"] for item in env] == ["JOB_COMPLETION_INDEX"]
        _replay_pod_status(
            client, "43-lifecycle-pod1-patch-status-running", pod["metadata"]["name"]
        )
        _replay_pod_status(
            client, "45-lifecycle-pod1-patch-status-succeeded", pod["metadata"]["name"]
        )
    job = _until(_status_of(client, "ref-indexed"), lambda j: _condition(j, "Complete"), "done")
    assert_same_shape(
        job, reference("D2-indexed-job-complete")["response"]["body"], newer=NEWER_JOB
    )
    assert job["status"]["completedIndexes"] == "0,1"


def test_failed_pod_is_replaced_until_the_backoff_limit(client: HttpClient) -> None:
    created, captured = replay(client, "D3-retry-job-create")
    assert_same_shape(created.json, captured["response"]["body"], newer=NEWER_JOB)
    first = _until(lambda: _job_pods(client, "ref-retry"), bool, "the pod")[0]["metadata"]["name"]
    _replay_pod_status(client, "51-failed-job-pod-patch-status-failed", first)
    job = _until(_status_of(client, "ref-retry"), lambda j: j["status"].get("failed"), "failed=1")
    assert_same_shape(
        job, reference("D4-retry-job-after-first-failure")["response"]["body"], newer=NEWER_JOB
    )
    pods = _until(lambda: _job_pods(client, "ref-retry"), lambda p: len(p) == 2, "replacement")
    want_pods = reference("D5-retry-job-pods-after-retry")["response"]["body"]
    # The failed pod is kept next to its replacement (creation times have second precision,
    # so the phases are compared as a multiset).
    assert sorted(p["status"]["phase"] for p in pods) == sorted(
        p["status"]["phase"] for p in want_pods["items"]
    )
    for phase in ("Pending", "Failed"):
        got_pod = next(p for p in pods if p["status"]["phase"] == phase)
        want_pod = next(p for p in want_pods["items"] if p["status"]["phase"] == phase)
        assert_same_shape(got_pod, want_pod, newer=(*NEWER_POD, "*.command missing"))
    job = _until(_status_of(client, "ref-retry"), lambda j: j["status"].get("active"), "active")
    assert_same_shape(
        job, reference("D6-retry-job-with-replacement")["response"]["body"], newer=NEWER_JOB
    )
    assert (job["status"]["failed"], job["status"]["active"]) == (1, 1)
    # D7a shows the 1.24 controller waiting ~10 s of back-off before it acts on the second
    # failure; our back-off runs on the cluster clock (20x here), so only the end state is compared.
    assert reference("D7a-retry-job-2s-after")["response"]["body"]["status"]["failed"] == 1
    replacement = next(p for p in pods if p["metadata"]["name"] != first)["metadata"]["name"]
    _replay_pod_status(client, "51-failed-job-pod-patch-status-failed", replacement)
    job = _until(_status_of(client, "ref-retry"), lambda j: _condition(j, "Failed"), "Failed")
    want = reference("D7b-retry-job-backofflimit-exceeded")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    assert _condition(job, "Failed")["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 2


def test_job_with_a_63_character_name(client: HttpClient) -> None:
    created, _ = replay(client, "16-job-create-name63")
    assert created.status == 201
    name = created.json["metadata"]["name"]
    pod = _until(lambda: _job_pods(client, name), bool, "the pod")[0]
    want = reference("16b-pod-of-63char-job-generatename-truncated")["response"]["body"]
    assert_same_shape(
        pod, {k: v for k, v in want.items() if k not in ("kind", "apiVersion")}, newer=NEWER_POD
    )
    assert pod["metadata"]["generateName"] == f"{name}-"
    assert len(pod["metadata"]["name"]) == len(want["metadata"]["name"]) == 63
    assert pod["metadata"]["name"][:58] == name[:58]
    # The untagged image defaults to imagePullPolicy Always (fact 9).
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_job_status_after_the_controller_starts_it(client: HttpClient) -> None:
    replay(client, "10-job-create-minimal")
    job = _until(_status_of(client, "ref-minimal"), lambda j: j["status"].get("active"), "start")
    want = reference("17-job-get-minimal-after-controller")["response"]["body"]
    assert_same_shape(job, want, newer=NEWER_JOB)
    assert (job["status"]["active"], job["status"]["ready"]) == (1, 0)
    status_view, captured = replay(
        client, "CD-job-get-status-subresource", path=f"{JOBS}/ref-minimal/status"
    )
    assert status_view.status == 200
    # CD shows the lifecycle Job: the same object shape, its own labels and status.
    assert_same_shape(
        {**status_view.json, "status": {}},
        {**captured["response"]["body"], "status": {}},
        newer=(*NEWER_JOB, "*.labels.app missing"),
    )
    assert status_view.json["metadata"]["uid"] == job["metadata"]["uid"]


def test_events_of_the_namespace(client: HttpClient) -> None:
    replay(client, "D0-indexed-job-create")
    _until(lambda: _get(client, EVENTS)["items"], bool, "an event")
    got = _get(client, EVENTS)
    want = reference("E0-events-namespace-final")["response"]["body"]
    assert_same_shape(got, want, newer=UNRECORDED)
    sources = {e["source"]["component"] for e in want["items"]}
    assert {e["source"]["component"] for e in got["items"]} <= sources


class SteppedClock:
    """A clock that moves only when the test moves it, so a CronJob runs exactly when the test
    says (a clock running on its own lets a loaded machine see a second run, or the first run
    before the test has looked at the CronJob)."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.wait(threading.Event(), seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        deadline = self.now() + timedelta(seconds=max(0.0, seconds))
        while not event.is_set():
            if self.now() >= deadline:
                return False
            event.wait(0.02)  # real seconds: notices an advance promptly
        return True


@pytest.fixture
def stepped_clock() -> SteppedClock:
    """Stopped 55 s before a minute: an every-minute CronJob runs once the test advances it."""
    return SteppedClock(datetime.now(UTC).replace(second=5, microsecond=0))


@pytest.fixture
def stepped_client(stepped_clock: SteppedClock) -> Iterator[HttpClient]:
    """Controllers without a kubelet on the test's stepped clock."""
    with EmbeddedCluster(controllers=False, clock=stepped_clock) as cluster:
        manager = ControllerManager(cluster.api, cluster.clock, kubelet=False)
        manager.start()
        assert manager.wait_synced()
        http = HttpClient(cluster.url, token=cluster.admin_token)
        try:
            yield http
        finally:
            http.close()
            manager.stop()


def test_cronjob_runs_a_job_and_records_it(
    stepped_client: HttpClient, stepped_clock: SteppedClock
) -> None:
    client = stepped_client
    cron_path = "/apis/batch/v1/namespaces/default/cronjobs/ref-cron"
    created, _ = replay(client, "A0-cronjob-create")
    assert created.status == 201
    before, captured = replay(client, "A3-cronjob-get-before-first-run")
    assert before.json["status"] == captured["response"]["body"]["status"] == {}
    # v1.36 omits an unset creationTimestamp instead of writing null (v1.36 B1, H1).
    unset_timestamps = (*UNRECORDED, "*emplate.metadata.creationTimestamp missing")
    assert_same_shape(before.json, captured["response"]["body"], newer=unset_timestamps)
    stepped_clock.advance(56)  # just past the minute; the clock then stays there: one run only
    cron = _until(lambda: _get(client, cron_path), lambda c: c["status"].get("active"), "a run")
    # As the capture did, so the CronJob's state below matches (spec.suspend).
    client.request("PATCH", cron_path, body={"spec": {"suspend": True}}, content_type=MERGE_PATCH)
    want = reference("A5-cronjob-status-after-first-run")["response"]["body"]
    assert_same_shape(cron, want, newer=unset_timestamps)
    job_name = cron["status"]["active"][0]["name"]
    scheduled = parse_time(cron["status"]["lastScheduleTime"])
    assert job_name == f"ref-cron-{int(scheduled.timestamp()) // 60}"
    # The capture saw the Job once its controller had started its pod.
    _until(_status_of(client, job_name), lambda j: j["status"].get("active"), "the job's pod")
    job, captured = replay(client, "A4-cronjob-created-job", path=f"{JOBS}/{job_name}")
    want_job = captured["response"]["body"]
    # batch.kubernetes.io/cronjob-scheduled-timestamp arrived in 1.28.
    assert_same_shape(
        job.json, want_job, newer=(*NEWER_JOB, ".metadata.annotations extra", "*.command*")
    )
    owner = job.json["metadata"]["ownerReferences"][0]
    want_owner = want_job["metadata"]["ownerReferences"][0]
    assert {k: owner[k] for k in ("apiVersion", "kind", "name", "controller")} == {
        k: want_owner[k] for k in ("apiVersion", "kind", "name", "controller")
    }
    _assert_events(client, "ref-cron", "A6-cronjob-events")
    pod = _until(lambda: _job_pods(client, job_name), bool, "the pod")[0]
    want_pod = reference("A7-cronjob-job-pod")["response"]["body"]
    assert_same_shape(
        pod, {k: v for k, v in want_pod.items() if k not in ("kind", "apiVersion")}, newer=NEWER_POD
    )
    assert pod["spec"]["restartPolicy"] == want_pod["spec"]["restartPolicy"] == "OnFailure"
    _replay_pod_status(client, "43-lifecycle-pod1-patch-status-running", pod["metadata"]["name"])
    _replay_pod_status(client, "45-lifecycle-pod1-patch-status-succeeded", pod["metadata"]["name"])
    cron = _until(
        lambda: _get(client, cron_path),
        lambda c: "lastSuccessfulTime" in c["status"] and not c["status"].get("active"),
        "the recorded success",
    )
    want = reference("A8-cronjob-status-after-job-succeeded")["response"]["body"]
    assert_same_shape(cron, want, newer=unset_timestamps)
    listed, captured = replay(client, "A9-cronjob-list")
    assert_same_shape(listed.json, captured["response"]["body"], newer=unset_timestamps)
