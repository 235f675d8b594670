"""The real stack on loopback with the dashboard beside the gRPC server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from jobscheduler.client import JobSchedulerClient
from jobscheduler.config import Settings
from jobscheduler.dashboard import DashboardServer
from jobscheduler.edge.server import Server
from jobscheduler.service import JobService, build_service


@dataclass
class Stack:
    service: JobService
    server: Server
    dashboard: DashboardServer
    client: JobSchedulerClient
    namespace: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard.port}"


@pytest.fixture
def stack(cluster: Any) -> Iterator[Stack]:
    api_client = cluster.api_client()
    namespace = getattr(cluster, "namespace", "default")
    # The simulated pods' behaviour (logs, run time, failures) is set by sim.* annotations.
    settings = Settings(
        in_cluster=False,
        k8s_namespace=namespace,
        pod_annotation_allowed_prefixes=("sim.jobscheduler.io/",),
    )
    service = build_service(settings, clock=cluster.clock, api_client=api_client)
    server = Server(service, host="127.0.0.1", port=0, metrics_port=None, health_poll_seconds=0.1)
    server.start()
    dashboard = DashboardServer(service, "127.0.0.1", 0, clock=cluster.clock.now)
    dashboard.start()
    client = JobSchedulerClient(f"127.0.0.1:{server.port}")
    try:
        yield Stack(service, server, dashboard, client, namespace)
    finally:
        client.close()
        dashboard.stop()
        server.stop(grace=0)
        api_client.close()
