"""Fixtures for testing the simulated API server itself, over raw HTTP (``bare_cluster`` is in
the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesim.cluster import EmbeddedCluster

from .wire_helpers import HttpClient


@pytest.fixture
def http(bare_cluster: EmbeddedCluster) -> Iterator[HttpClient]:
    client = HttpClient(bare_cluster.url, token=bare_cluster.admin_token)
    try:
        yield client
    finally:
        client.close()
