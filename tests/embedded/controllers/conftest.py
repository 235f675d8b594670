"""Temporary stand-in for the shared ``cluster`` fixture (tests/conftest.py) until it lands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import kubernetes.client as k8s
import pytest

from jobscheduler.clock import ScaledClock
from jobscheduler.embedded.apiserver.inprocess import InProcessAPI
from jobscheduler.embedded.apiserver.schema import SchemaChecker
from jobscheduler.embedded.apiserver.server import ApiServer
from jobscheduler.embedded.controllers import ControllerManager
from jobscheduler.embedded.faults import FaultInjector
from jobscheduler.embedded.http import EmbeddedHTTPServer
from jobscheduler.embedded.store import Store


class _Cluster:
    def __init__(self, speed: float) -> None:
        self.clock = ScaledClock(speed=speed)
        self._server = ApiServer(Store(), self.clock, SchemaChecker("off"))
        self.api = InProcessAPI(self._server)
        self.api.create(
            "namespaces",
            None,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}},
        )
        self.controllers = ControllerManager(self.api, self.clock)
        self._http = EmbeddedHTTPServer(
            ("127.0.0.1", 0), self._server, FaultInjector(), self.controllers.pod_logs
        )
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._clients: list[Any] = []

    def start(self) -> None:
        self._thread.start()
        self._server.start_garbage_collector()
        self.controllers.start()

    def stop(self) -> None:
        self.controllers.stop()
        self._server.stop_garbage_collector()
        for client in self._clients:
            client.close()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)

    def api_client(self) -> k8s.ApiClient:
        config = k8s.Configuration()
        config.host = f"http://{self._http.address}"
        client = k8s.ApiClient(config)
        self._clients.append(client)
        return client


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[_Cluster]:
    marker = request.node.get_closest_marker("clock_speed")
    instance = _Cluster(float(marker.args[0]) if marker else 20.0)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clock_speed(speed): how fast the cluster clock runs")
