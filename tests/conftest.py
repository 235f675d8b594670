"""Shared fixtures: a cluster per test, embedded by default or a real one on request.

* ``cluster``: a started ``EmbeddedCluster`` (stopped after the test). Mark a test with
  ``@pytest.mark.clock_speed(50)`` to run the cluster clock 50 times faster than real time.
* ``kube_client``: a ``kubernetes.client.ApiClient`` for that cluster.
* ``bare_cluster``: an ``EmbeddedCluster`` without controllers (nothing changes unless the test
  changes it); it honours ``clock_speed`` too, and ``@pytest.mark.controllers("garbage-collector")``
  runs the named controllers (from ``kubesim.controllers.CONTROLLERS``) in it.

Set ``JOBSCHEDULER_TEST_KUBECONFIG=/path/to/kubeconfig`` to run the same cluster-facing tests
against a real cluster instead: each test gets a fresh namespace (``cluster.namespace``), and
tests needing what only the embedded cluster offers (fault injection, a fast clock) skip with
the reason.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
from kubernetes import config as kube_config

from jobscheduler.clock import Clock, SystemClock
from kubesim import ClusterAPI, EmbeddedCluster, RestClusterAPI

REAL_CLUSTER_ENV = "JOBSCHEDULER_TEST_KUBECONFIG"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clock_speed(speed): run the embedded cluster's clock this many times faster"
    )
    config.addinivalue_line(
        "markers", "controllers(*names): the controllers bare_cluster runs, e.g. garbage-collector"
    )
    config.addinivalue_line(
        "markers", "server_settings(**values): Settings of the CLI tests' in-process server"
    )


class RealCluster:
    """The parts of ``EmbeddedCluster``'s surface that mean something on a real cluster."""

    def __init__(self, kubeconfig_path: Path) -> None:
        self.kubeconfig_path = kubeconfig_path
        self._client = kube_config.new_client_from_config(config_file=str(kubeconfig_path))
        self.url: str = self._client.configuration.host
        self.api: ClusterAPI = RestClusterAPI(self._client)
        self.clock: Clock = SystemClock()
        self.namespace = f"jobscheduler-test-{uuid.uuid4().hex[:8]}"

    @property
    def faults(self) -> Any:
        pytest.skip("fault injection needs the embedded cluster (a real cluster is configured)")

    def api_client(self) -> kubernetes.client.ApiClient:
        return kube_config.new_client_from_config(config_file=str(self.kubeconfig_path))

    def start(self) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        self.api.create("namespaces", None, body)

    def stop(self) -> None:
        try:
            self.api.delete("namespaces", None, self.namespace, propagation_policy="Background")
        finally:
            self._client.close()


# Threads the service names jobscheduler-* (its cache's informers, the sweeper, ...). One a
# test leaves running keeps its service's objects alive and acting, which later tests see.
SERVICE_THREAD_PREFIX = "jobscheduler-"
THREAD_END_GRACE_SECONDS = 5.0


def _service_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(SERVICE_THREAD_PREFIX)}


@pytest.fixture(autouse=True)
def _no_service_thread_outlives_its_test() -> Iterator[None]:
    before = _service_threads()
    yield
    deadline = time.monotonic() + THREAD_END_GRACE_SECONDS
    for thread in _service_threads() - before:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = sorted(t.name for t in _service_threads() - before if t.is_alive())
    assert left == [], f"the test left service threads running (stop what it started): {left}"


def real_cluster_kubeconfig() -> Path | None:
    value = os.environ.get(REAL_CLUSTER_ENV)
    return Path(value) if value else None


def _clock_speed(request: pytest.FixtureRequest) -> float | None:
    marker = request.node.get_closest_marker("clock_speed")
    return float(marker.args[0]) if marker else None


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Any]:
    speed = _clock_speed(request)
    real = real_cluster_kubeconfig()
    if real is not None:
        if speed is not None:
            pytest.skip("needs the embedded cluster's fast clock (a real cluster is configured)")
        instance: Any = RealCluster(real)
    else:
        instance = EmbeddedCluster(clock_speed=speed or 1.0)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def embedded_cluster(cluster: Any) -> EmbeddedCluster:
    """The cluster, for tests of embedded-only behaviour (skipped on a real cluster)."""
    if not isinstance(cluster, EmbeddedCluster):
        pytest.skip("tests the embedded cluster itself (a real cluster is configured)")
    return cluster


@pytest.fixture
def kube_client(cluster: Any) -> Iterator[kubernetes.client.ApiClient]:
    client = cluster.api_client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def bare_cluster(request: pytest.FixtureRequest) -> Iterator[EmbeddedCluster]:
    """An embedded cluster without controllers (unless the test names some with the
    ``controllers`` mark): nothing changes unless the test changes it."""
    marker = request.node.get_closest_marker("controllers")
    controllers = tuple(marker.args) if marker else ()
    with EmbeddedCluster(
        clock_speed=_clock_speed(request) or 1.0, controllers=controllers
    ) as cluster:
        yield cluster
