"""The watch cache's parts without a server: projections read as the full objects do, the
store's indexes and order, and label selectors."""

from __future__ import annotations

import threading
import time
from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import build_registry
from jobscheduler.kube.cache import Store, selectors
from jobscheduler.kube.cache import store as store_module
from jobscheduler.kube.cache.cache import LABEL_INDEX, label_terms
from jobscheduler.kube.cache.packer import Packer
from jobscheduler.kube.cache.projection import project_job, project_pod
from jobscheduler.service.jobinfo import job_info_from_job
from jobscheduler.service.readcache import _job_state
from jobscheduler.service.readcache import created_seconds as _created
from jobscheduler.service.status import job_state, termination_reason

JSON = dict[str, Any]


def job(name: str, created: str, **status: Any) -> JSON:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "resourceVersion": "7",
            "creationTimestamp": created,
            "labels": {"app.kubernetes.io/managed-by": "jobscheduler", "team": "a"},
            "annotations": {"jobscheduler.io/name": "nightly", "note": "kept"},
            "managedFields": [{"manager": "kube-controller-manager", "fieldsV1": {"f:x": {}}}],
        },
        "spec": {
            "suspend": False,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "busybox:1.36",
                            "command": ["sh"],
                            "env": [{"name": "SECRET", "value": "s3cret"}],
                            "resources": {"requests": {"cpu": "100m"}},
                        }
                    ],
                    "securityContext": {"runAsNonRoot": True},
                }
            },
        },
        "status": status,
    }


def pod(name: str, **status: Any) -> JSON:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "resourceVersion": "3",
            "labels": {"batch.kubernetes.io/job-name": "j1"},
            "ownerReferences": [{"kind": "Job", "name": "j1"}],
        },
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        "status": status,
    }


def test_a_projection_reads_back_as_the_full_job_and_drops_the_rest() -> None:
    registry = build_registry()
    full = job(
        "j1",
        "2026-01-02T03:04:05Z",
        active=1,
        startTime="2026-01-02T03:04:06Z",
        conditions=[{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
    )
    projected = project_job(full)
    assert job_info_from_job(projected, registry) == job_info_from_job(full, registry)
    assert "managedFields" not in projected["metadata"]
    assert "env" not in str(projected) and "securityContext" not in str(projected)


def test_pod_projections_still_explain_a_wait() -> None:
    waiting = pod(
        "p1",
        phase="Pending",
        containerStatuses=[
            {"name": "main", "image": "x", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
        ],
    )
    unschedulable = pod(
        "p2",
        phase="Pending",
        conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"},
            {"type": "Ready", "status": "False"},
        ],
    )
    failed = pod(
        "p3",
        phase="Failed",
        containerStatuses=[
            {
                "name": "main",
                "image": "x",
                "imageID": "sha256:abc",
                "state": {
                    "terminated": {
                        "exitCode": 1,
                        "finishedAt": "2026-01-02T03:05:00Z",
                        "message": "ProbeFailed: HTTP 503",
                        "containerID": "containerd://x",
                    }
                },
            }
        ],
    )
    assert termination_reason([project_pod(failed)]) == termination_reason([failed])
    assert termination_reason([project_pod(failed)]) == ("ProbeFailed", "ProbeFailed: HTTP 503")
    running = job("j1", "2026-01-02T03:04:05Z", active=1)
    for full in (waiting, unschedulable):
        assert job_state(running, [project_pod(full)]) == job_state(running, [full])
    assert job_state(running, [project_pod(waiting)]).reason == "ImagePullBackOff"


def _store() -> Store:
    return Store({LABEL_INDEX: label_terms, "state": _job_state}, _created)


def test_store_orders_newest_first_and_finds_by_index() -> None:
    store = _store()
    store.bulk_load(
        [
            project_job(job("old", "2026-01-01T00:00:00Z")),
            project_job(job("new", "2026-01-03T00:00:00Z")),
            project_job(job("mid", "2026-01-02T00:00:00Z", active=1)),
        ]
    )
    assert store.ordered(None, None, 10) == [
        ("default", "new"),
        ("default", "mid"),
        ("default", "old"),
    ]
    running = store.keys_for("state", "running")
    assert running == {("default", "mid")}
    # A page after "new" continues with what follows it, whatever was added meanwhile.
    after_new = (-_created(store.get("default", "new") or {}), "default", "new")
    store.upsert(project_job(job("newest", "2026-01-04T00:00:00Z")))
    assert store.ordered(None, after_new, 1) == [("default", "mid")]
    finished = job(
        "mid", "2026-01-02T00:00:00Z", conditions=[{"type": "Complete", "status": "True"}]
    )
    store.upsert(project_job(finished))
    assert store.keys_for("state", "running") == set()
    assert store.keys_for("state", "succeeded") == {("default", "mid")}
    store.delete("default", "mid")
    assert store.keys_for("state", "succeeded") == set()
    assert len(store) == 3


def test_created_within_is_a_stretch_of_the_order() -> None:
    store = _store()
    store.bulk_load(project_job(job(f"j{day}", f"2026-01-0{day}T00:00:00Z")) for day in range(1, 6))
    after = _created({"metadata": {"creationTimestamp": "2026-01-02T00:00:00Z"}})
    before = _created({"metadata": {"creationTimestamp": "2026-01-04T00:00:00Z"}})
    assert store.created_within(None, after, before) == {("default", "j2"), ("default", "j3")}


def test_replace_reports_what_changed_and_what_went() -> None:
    store = _store()
    store.bulk_load(
        [
            project_job(job("a", "2026-01-01T00:00:00Z")),
            project_job(job("b", "2026-01-01T00:00:00Z")),
        ]
    )
    changed_b = job("b", "2026-01-01T00:00:00Z", active=1)
    changed_b["metadata"]["resourceVersion"] = "8"
    gone, changed = store.replace([project_job(changed_b)])
    assert [g["metadata"]["name"] for g in gone] == ["a"]
    assert [(p and p["metadata"]["name"], c["metadata"]["name"]) for p, c in changed] == [
        ("b", "b")
    ]


def test_selectors_parse_and_match() -> None:
    parsed = selectors.parse(
        "app.kubernetes.io/managed-by=jobscheduler,"
        "jobscheduler.io/job-type in (timer,container),!gone,team!=b"
    )
    assert parsed is not None
    labels = {
        "app.kubernetes.io/managed-by": "jobscheduler",
        "jobscheduler.io/job-type": "timer",
        "team": "a",
    }
    assert selectors.matches(parsed, labels)
    assert not selectors.matches(parsed, {**labels, "gone": "x"})
    assert not selectors.matches(parsed, {**labels, "team": "b"})
    assert selectors.parse("a in b") is None  # not a form we know: ask the API server


def test_job_states_are_indexed_by_name() -> None:
    assert list(_job_state(job("s", "2026-01-01T00:00:00Z"))) == ["pending"]
    assert job_state(job("s", "2026-01-01T00:00:00Z")).status == pb.JOB_STATUS_PENDING


def test_a_page_counts_what_matches_also_when_a_filter_holds_everything() -> None:
    store = _store()
    store.bulk_load(
        project_job(job(f"j{day}", f"2026-01-0{day}T00:00:00Z", active=1)) for day in range(1, 6)
    )
    running = [("state", "running")]
    keys, total = store.page([running], None, 2)
    assert (keys, total) == ([("default", "j5"), ("default", "j4")], 5)
    # Once one job has finished the filter narrows again, and the count follows.
    store.upsert(
        project_job(
            job("j4", "2026-01-04T00:00:00Z", conditions=[{"type": "Complete", "status": "True"}])
        )
    )
    keys, total = store.page([running], None, 10)
    assert total == 4
    assert keys == [("default", "j5"), ("default", "j3"), ("default", "j2"), ("default", "j1")]
    assert store.page([running, [("label", "team=b")]], None, 10) == ([], 0)


class _Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_a_change_from_the_watch_is_stored_without_deflating(monkeypatch: Any) -> None:
    # Deflating on the informer thread made every write's wait for its own change slower
    # (zlib gives the interpreter lock away on each call): a change is stored as plain JSON.
    store = _store()
    store.bulk_load([project_job(job("listed", "2026-01-01T00:00:00Z"))])

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("zlib called while storing a change")

    monkeypatch.setattr(store_module.zlib, "compressobj", refuse)
    monkeypatch.setattr(store_module.zlib, "decompressobj", refuse)
    first = project_job(job("new", "2026-01-02T00:00:00Z"))
    store.upsert(first)
    running = project_job(job("new", "2026-01-02T00:00:00Z", active=1))
    assert store.upsert(running) == (first, running)
    assert store.get("default", "new") == running
    assert store.keys_for("state", "running") == {("default", "new")}


def test_packing_deflates_what_has_been_plain_long_enough_and_keeps_it_readable() -> None:
    clock = _Clock()
    store = Store({LABEL_INDEX: label_terms, "state": _job_state}, _created, now=clock)
    store.bulk_load([project_job(job("listed", "2026-01-01T00:00:00Z"))])
    older, newer = (project_job(job(n, "2026-01-02T00:00:00Z", active=1)) for n in ("a", "b"))
    store.upsert(older)
    clock.seconds += 4
    store.upsert(newer)
    plain_size = len(store._entries[("default", "a")].raw)
    clock.seconds += 1
    assert store.pack(older_than_seconds=5) == 1  # "a" only: "b" has been plain for 1 s
    assert store.young_count() == 1
    assert len(store._entries[("default", "a")].raw) < plain_size / 2
    assert store.get("default", "a") == older
    clock.seconds += 5
    assert store.pack(older_than_seconds=5) == 1
    assert store.young_count() == 0
    assert store.get_many([("default", "a"), ("default", "b")]) == [older, newer]
    # A packed entry changed again is plain again, and its indexes follow.
    done = project_job(
        job("a", "2026-01-02T00:00:00Z", conditions=[{"type": "Complete", "status": "True"}])
    )
    assert store.upsert(done) == (older, done)
    assert store.keys_for("state", "succeeded") == {("default", "a")}
    assert store.young_count() == 1


def test_a_change_made_while_packing_is_not_overwritten_by_the_packed_copy() -> None:
    clock = _Clock()
    store = Store({LABEL_INDEX: label_terms, "state": _job_state}, _created, now=clock)
    pending = project_job(job("a", "2026-01-02T00:00:00Z"))
    store.upsert(pending)
    clock.seconds += 10
    running = project_job(job("a", "2026-01-02T00:00:00Z", active=1))
    deflate = store._deflate

    def deflate_while_the_informer_writes(text: bytes) -> bytes:
        store.upsert(running)  # the informer's change lands between pick and swap
        return deflate(text)

    store._deflate = deflate_while_the_informer_writes  # type: ignore[method-assign]
    assert store.pack(older_than_seconds=5) == 0
    assert store.get("default", "a") == running
    assert store.young_count() == 1  # the newer copy is packed on a later pass


def test_a_deleted_entry_leaves_nothing_to_pack() -> None:
    clock = _Clock()
    store = Store({LABEL_INDEX: label_terms}, _created, now=clock)
    store.upsert(project_job(job("a", "2026-01-02T00:00:00Z")))
    assert store.delete("default", "a") is not None
    clock.seconds += 10
    assert (store.pack(older_than_seconds=5), store.young_count(), len(store)) == (0, 0, 0)


def test_the_packer_thread_packs_every_store_until_stopped() -> None:
    stores = [_store(), _store()]
    for index, store in enumerate(stores):
        store.upsert(project_job(job(f"j{index}", "2026-01-02T00:00:00Z")))
    packer = Packer(lambda: stores, interval_seconds=0.01, after_seconds=0)
    packer.start()
    try:
        deadline = time.monotonic() + 10
        while any(store.young_count() for store in stores) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [store.young_count() for store in stores] == [0, 0]
    finally:
        packer.stop()
    assert not any(t.name == "jobscheduler-cache-packer" for t in threading.enumerate())
