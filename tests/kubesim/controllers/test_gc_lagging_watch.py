"""The garbage collector decides orphaning and foreground deletion with every dependent the API
server holds, even one its own watch of that kind has not delivered yet (each kind has its own
informer, so an owner's deletion can arrive before a dependent created just before it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubesim.cluster import EmbeddedCluster
from kubesim.clusterapi import ApiError
from kubesim.controllers.garbagecollector import GarbageCollector, collectable
from kubesim.controllers.informer import Informer

from ..wire_helpers import job_body, pod_body


def _eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@pytest.fixture
def collector_blind_to_pods(bare_cluster: EmbeddedCluster) -> Iterator[None]:
    """A collector whose pod watch never delivers: the worst case of a lagging one."""
    api = bare_cluster.api
    jobs = Informer(api, "jobs")
    collector = GarbageCollector(
        api, bare_cluster.clock, {"jobs": jobs}, collectable(api.server_resources())
    )
    jobs.start()
    collector.start()
    assert jobs.wait_synced(10)
    try:
        yield
    finally:
        collector.stop()
        jobs.stop()
        collector.join(10)
        jobs.join(10)


def _gone(api: Any, name: str) -> bool:
    try:
        api.get("jobs", "default", name)
    except ApiError as error:
        return error.code == 404
    return False


@pytest.mark.controllers()
@pytest.mark.usefixtures("collector_blind_to_pods")
def test_an_orphaned_pod_the_watch_has_not_delivered_loses_its_owner_reference(
    bare_cluster: EmbeddedCluster,
) -> None:
    api = bare_cluster.api
    job = api.create("jobs", "default", job_body("lagging-orphan"))
    api.create("pods", "default", pod_body("lagging-orphan-0", job))
    api.delete("jobs", "default", "lagging-orphan", propagation_policy="Orphan")
    _eventually(lambda: _gone(api, "lagging-orphan"))
    assert "ownerReferences" not in api.get("pods", "default", "lagging-orphan-0")["metadata"]


@pytest.mark.controllers()
@pytest.mark.usefixtures("collector_blind_to_pods")
def test_a_foreground_owner_waits_for_a_blocking_pod_the_watch_has_not_delivered(
    bare_cluster: EmbeddedCluster,
) -> None:
    api = bare_cluster.api
    job = api.create("jobs", "default", job_body("lagging-fg"))
    pod = pod_body("lagging-fg-0", job, finalizers=["example.com/hold"])
    pod["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] = True
    api.create("pods", "default", pod)
    api.delete("jobs", "default", "lagging-fg", propagation_policy="Foreground")
    time.sleep(1.0)  # long enough for the collector to have decided wrongly
    assert not _gone(api, "lagging-fg"), "the owner went before its blocking dependent"
