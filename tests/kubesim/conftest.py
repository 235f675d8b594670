"""Fixtures for testing the simulated API server itself, over raw HTTP (``bare_cluster`` is in
the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesim.cluster import EmbeddedCluster
from kubesim.controllers import ControllerManager

from .wire_helpers import HttpClient


@pytest.fixture
def http(bare_cluster: EmbeddedCluster) -> Iterator[HttpClient]:
    client = HttpClient(bare_cluster.url, token=bare_cluster.admin_token)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def controlled() -> Iterator[EmbeddedCluster]:
    """A cluster whose controllers run but whose pods move only when the test moves them (no
    kubelet, like the control planes the references were captured from)."""
    with EmbeddedCluster(controllers=False, clock_speed=20) as cluster:
        manager = ControllerManager(cluster.api, cluster.clock, kubelet=False)
        manager.start()
        assert manager.wait_synced()
        try:
            yield cluster
        finally:
            manager.stop()


@pytest.fixture
def client(controlled: EmbeddedCluster) -> Iterator[HttpClient]:
    http = HttpClient(controlled.url, token=controlled.admin_token)
    try:
        yield http
    finally:
        http.close()
