"""Fixtures for testing the embedded API server itself, over raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wire_helpers import HttpClient

from jobscheduler.embedded.cluster import EmbeddedCluster


@pytest.fixture
def bare_cluster() -> Iterator[EmbeddedCluster]:
    """An embedded cluster without controllers: nothing changes unless the test changes it."""
    with EmbeddedCluster(controllers=False) as cluster:
        yield cluster


@pytest.fixture
def http(bare_cluster: EmbeddedCluster) -> Iterator[HttpClient]:
    client = HttpClient(bare_cluster.url, token=bare_cluster.admin_token)
    try:
        yield client
    finally:
        client.close()
