"""Hypothesis profiles for the property tests, and the server they run against.

``ci`` (the default): a few hundred examples in all, derandomized (the same examples every run,
no example database), no per-example deadline (a 2-core CI machine is slow and uneven).
``thorough``: many more, randomized; select it with JOBSCHEDULER_HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from jobscheduler.edge.server import Server
from kubesim import EmbeddedCluster
from tests.edge.live import live_server

PROFILE_ENV = "JOBSCHEDULER_HYPOTHESIS_PROFILE"
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, print_blob=True, suppress_health_check=_SLOW_OK
)
settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedCluster]:
    """One cluster for all examples of a module: hypothesis runs many examples per test."""
    cluster = EmbeddedCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def server(embedded: EmbeddedCluster) -> Iterator[Server]:
    with live_server(embedded) as srv:
        yield srv


@pytest.fixture(scope="module")
def address(server: Server) -> Any:
    return f"127.0.0.1:{server.port}"
