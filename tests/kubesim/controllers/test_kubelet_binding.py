"""How the simulated kubelet binds pods: a Binding where kube-apiserver takes one, else by
setting spec.nodeName (the embedded API server)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobscheduler.clock import FakeClock
from kubesim.clusterapi import ApiError
from kubesim.controllers.informer import Informer
from kubesim.controllers.kubelet import SimulatedKubelet
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.node import NODE_NAME


class BindingAPI:
    def __init__(self, *, has_bindings: bool) -> None:
        self.has_bindings = has_bindings
        self.calls: list[tuple[str, str, Any]] = []

    def create(self, resource: str, namespace: str | None, body: Any, **_: Any) -> Any:
        self.calls.append(("create", resource, body))
        if resource == "bindings" and not self.has_bindings:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return body

    def patch(
        self, resource: str, namespace: str | None, name: str, patch: Any, *_: Any, **__: Any
    ) -> Any:
        self.calls.append(("patch", resource, patch))
        return {}


def kubelet(api: BindingAPI) -> SimulatedKubelet:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    return SimulatedKubelet(api, clock, Informer(api, "pods"), PodLogStore(clock))  # type: ignore[arg-type]


def pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "uid": name}, "spec": {}}


def writes(api: BindingAPI) -> list[tuple[str, str]]:
    return [(verb, resource) for verb, resource, _ in api.calls if resource != "events"]


def test_pods_are_bound_with_a_binding_where_the_server_takes_one() -> None:
    api = BindingAPI(has_bindings=True)
    sim = kubelet(api)
    sim._bind(pod("a"))
    sim._bind(pod("b"))
    assert writes(api) == [("create", "bindings"), ("create", "bindings")]
    binding = api.calls[0][2]
    assert binding["metadata"]["name"] == "a"
    assert binding["target"] == {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME}


def test_without_bindings_the_node_name_is_set_and_bindings_are_not_tried_again() -> None:
    api = BindingAPI(has_bindings=False)
    sim = kubelet(api)
    sim._bind(pod("a"))
    sim._bind(pod("b"))
    assert writes(api) == [("create", "bindings"), ("patch", "pods"), ("patch", "pods")]
    assert api.calls[1][2] == {"spec": {"nodeName": NODE_NAME}}
