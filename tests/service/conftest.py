from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jobscheduler.config import Settings
from jobscheduler.kube import KubeGateway
from jobscheduler.service import JobService


def make_service(
    cluster: Any, *, sleep: Callable[[float], None] = time.sleep, **overrides: Any
) -> tuple[JobService, Any]:
    """A JobService on the test cluster (its clock, its namespace); the caller closes the
    returned ApiClient. ``sleep`` replaces the gateway's retry waits."""
    client = cluster.api_client()
    # Tests steer the embedded cluster's simulated pods with sim.jobscheduler.io/ annotations.
    overrides.setdefault("pod_annotation_allowed_prefixes", ("sim.jobscheduler.io/",))
    settings = Settings(
        in_cluster=False, k8s_namespace=getattr(cluster, "namespace", "default"), **overrides
    )
    service = JobService(
        settings,
        KubeGateway(client, settings, sleep=sleep),
        clock=cluster.clock,
        sweep_interval_seconds=1.0,
        watch_poll_seconds=1,
    )
    return service, client


@pytest.fixture
def service(cluster: Any) -> Iterator[JobService]:
    svc, client = make_service(cluster)
    try:
        yield svc
    finally:
        svc.stop()
        client.close()
