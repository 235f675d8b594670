from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jobscheduler.config import Settings
from jobscheduler.kube import KubeGateway
from jobscheduler.service import JobService
from jobscheduler.service.readcache import build_cache


def make_service(
    cluster: Any,
    *,
    sleep: Callable[[float], None] = time.sleep,
    cached: bool = True,
    cache_testing: dict[str, Any] | None = None,
    wait_synced: bool = True,
    **overrides: Any,
) -> tuple[JobService, Any]:
    """A started JobService on the test cluster (its clock, its namespace), reading from a
    synced watch cache unless ``cached`` is false; the caller stops it and closes the returned
    ApiClient. ``sleep`` replaces the gateway's retry waits."""
    client = cluster.api_client()
    overrides.setdefault("cache_watch_timeout_seconds", 5)
    # Tests steer the embedded cluster's simulated pods with sim.jobscheduler.io/ annotations.
    overrides.setdefault("pod_annotation_allowed_prefixes", ("sim.jobscheduler.io/",))
    settings = Settings(
        in_cluster=False, k8s_namespace=getattr(cluster, "namespace", "default"), **overrides
    )
    gateway = KubeGateway(client, settings, sleep=sleep)
    cache = build_cache(gateway, settings, **(cache_testing or {})) if cached else None
    service = JobService(
        settings,
        gateway,
        cache=cache,
        clock=cluster.clock,
        sweep_interval_seconds=1.0,
        watch_poll_seconds=1,
    )
    if cache is not None and wait_synced:
        cache.start()
        assert cache.wait_synced(30), "the watch cache did not sync"
    return service, client


@pytest.fixture
def service(cluster: Any) -> Iterator[JobService]:
    svc, client = make_service(cluster)
    try:
        yield svc
    finally:
        svc.stop()
        client.close()
