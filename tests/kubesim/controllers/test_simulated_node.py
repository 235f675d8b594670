"""The simulated node is registered and kept Ready where the API server has Nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobscheduler.clock import FakeClock
from kubesim.clusterapi import ApiError
from kubesim.controllers.node import NODE_NAME, NodeHeartbeat


class RecordingAPI:
    """Answers node calls like kube-apiserver (or like a server without nodes)."""

    def __init__(self, *, has_nodes: bool = True) -> None:
        self.has_nodes = has_nodes
        self.calls: list[tuple[str, Any]] = []
        self.nodes: dict[str, Any] = {}

    def create(self, resource: str, namespace: str | None, body: Any, **_: Any) -> Any:
        self.calls.append(("create", resource))
        if not self.has_nodes:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if body["metadata"]["name"] in self.nodes:
            raise ApiError(409, "AlreadyExists", "exists")
        self.nodes[body["metadata"]["name"]] = body
        return body

    def patch(
        self, resource: str, namespace: str | None, name: str, patch: Any, *_: Any, **kw: Any
    ) -> Any:
        self.calls.append(("patch", kw.get("subresource")))
        if name not in self.nodes:
            raise ApiError(404, "NotFound", "not found")
        self.nodes[name]["status"] = patch["status"]
        return self.nodes[name]


def test_node_is_registered_and_reports_ready() -> None:
    api = RecordingAPI()
    heartbeat = NodeHeartbeat(api, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))  # type: ignore[arg-type]
    assert heartbeat.register()
    heartbeat.beat()
    ready = [c for c in api.nodes[NODE_NAME]["status"]["conditions"] if c["type"] == "Ready"]
    assert ready[0]["status"] == "True"
    assert ready[0]["lastHeartbeatTime"] == "2026-01-01T00:00:00Z"
    assert api.calls == [("create", "nodes"), ("patch", "status")]


def test_a_deleted_node_is_registered_again() -> None:
    api = RecordingAPI()
    heartbeat = NodeHeartbeat(api, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))  # type: ignore[arg-type]
    heartbeat.register()
    api.nodes.clear()
    heartbeat.beat()
    assert NODE_NAME in api.nodes


def test_no_heartbeat_where_the_server_has_no_nodes() -> None:
    api = RecordingAPI(has_nodes=False)
    heartbeat = NodeHeartbeat(api, FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))  # type: ignore[arg-type]
    heartbeat.start()
    heartbeat.join(5)
    assert api.calls == [("create", "nodes")]
