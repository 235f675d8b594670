"""Watches against the v1.36 captures (group H): plain watch bookmarks (H1) and WatchList
(``sendInitialEvents=true``, H2-H4).

H2-H4 were answered by a control plane whose etcd (3.5.1) lacks progress notifications, so
kube-apiserver refused WatchList with an ERROR event (500 "the required storage feature
RequestWatchProgress is disabled"). Any current cluster runs a newer etcd and serves WatchList
(client-go's informers use it by default since 1.32), so the embedded cluster simulates the
working feature: the same requests get the modern answer, checked here against what the
capture's own request asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient, job_body, reference_v136, replay_v136

NS = "ref-watch"
WATCHLIST_V136 = (
    "H2-watchlist-sendinitialevents",
    "H3-watchlist-no-rv-param",
    "H4-watchlist-rv0",
)


@pytest.fixture
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(clock_speed=20) as embedded:
        embedded.api.create("namespaces", None, {"metadata": {"name": NS}})
        yield embedded


@pytest.fixture
def client(cluster: EmbeddedCluster) -> Iterator[HttpClient]:
    http = HttpClient(cluster.url, token=cluster.admin_token)
    try:
        yield http
    finally:
        http.close()


def _query(captured: Any, **values: str) -> str:
    """The capture's query with some parameters' values replaced."""
    parts = []
    for item in captured["request"]["query"].split("&"):
        key, _, value = item.partition("=")
        parts.append(f"{key}={values.get(key, value)}")
    return "&".join(parts)


def _bookmark_shape(captured_bookmark: Any, resource_version: str) -> Any:
    return {**captured_bookmark, "metadata": {"resourceVersion": resource_version}}


def test_plain_watch_bookmarks_carry_only_the_resource_version(
    cluster: EmbeddedCluster, client: HttpClient
) -> None:
    start = cluster.api.list("jobs", NS)["metadata"]["resourceVersion"]

    def act() -> None:
        cluster.api.create("jobs", NS, job_body("ref-watch-mid"))
        # Changes elsewhere advance the version the watcher has seen: bookmarks follow.
        cluster.api.create("jobs", "default", job_body("elsewhere"))

    timer = threading.Timer(0.2, act)
    timer.start()
    try:
        captured = reference_v136("H1-watch-jobs-bookmarks-70s")
        response, _ = replay_v136(
            client,
            "H1-watch-jobs-bookmarks-70s",
            query=_query(captured, resourceVersion=start, timeoutSeconds="3"),
        )
    finally:
        timer.join()
    assert response.status == 200
    want = captured["response"]["events"]
    lines = response.lines
    # The new Job, then the job controller's status write, as in the capture.
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in lines[:2]] == [
        (e["type"], e["object"]["metadata"]["name"]) for e in want[:2]
    ]
    bookmarks = [e["object"] for e in lines if e["type"] == "BOOKMARK"]
    want_bookmark = next(e["object"] for e in want if e["type"] == "BOOKMARK")
    assert bookmarks, "no bookmark after the version moved on"
    for bookmark in bookmarks:
        # No creationTimestamp: null, no annotations outside WatchList.
        assert bookmark == _bookmark_shape(want_bookmark, bookmark["metadata"]["resourceVersion"])


@pytest.mark.parametrize("capture", WATCHLIST_V136)
def test_watchlist_sends_the_objects_then_marks_their_end(
    cluster: EmbeddedCluster, client: HttpClient, capture: str
) -> None:
    for name in ("ref-watch-a", "ref-watch-b"):
        cluster.api.create("jobs", NS, job_body(name, suspend=True))
    cluster.api.create("jobs", "default", job_body("not-watched", suspend=True))
    captured = reference_v136(capture)
    request = captured["request"]
    assert "sendInitialEvents=true" in request["query"]

    response, _ = replay_v136(client, capture, query=_query(captured, timeoutSeconds="1"))

    # The capture's etcd could not serve this (one ERROR 500 event); a modern one can.
    assert [e["type"] for e in captured["response"]["events"]] == ["ERROR"]
    assert response.status == captured["response"]["statusCode"] == 200
    lines = response.lines
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in lines[:2]] == [
        ("ADDED", "ref-watch-a"),
        ("ADDED", "ref-watch-b"),
    ]
    end = lines[2]
    assert end["type"] == "BOOKMARK"
    assert end["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    # Not older than anything sent: a client may resume from it without missing a change.
    sent = max(int(e["object"]["metadata"]["resourceVersion"]) for e in lines[:2])
    assert int(end["object"]["metadata"]["resourceVersion"]) >= sent
    assert end["object"]["spec"] == {"template": {"metadata": {}, "spec": {"containers": None}}}


def test_watchlist_then_streams_changes(cluster: EmbeddedCluster, client: HttpClient) -> None:
    captured = reference_v136("H2-watchlist-sendinitialevents")
    timer = threading.Timer(0.3, lambda: cluster.api.create("jobs", NS, job_body("later")))
    timer.start()
    try:
        response, _ = replay_v136(
            client,
            "H2-watchlist-sendinitialevents",
            query=_query(captured, timeoutSeconds="2"),
        )
    finally:
        timer.join()
    kinds = [(e["type"], e["object"]["metadata"].get("name")) for e in response.lines]
    # Nothing to list: the end marker comes first, then the new Job.
    assert kinds[0] == ("BOOKMARK", None)
    assert ("ADDED", "later") in kinds[1:]
