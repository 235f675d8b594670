"""The real stack on loopback: gRPC server -> JobService -> kubernetes client -> cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jobscheduler.client import JobSchedulerClient
from jobscheduler.config import Settings
from jobscheduler.edge.server import Server
from jobscheduler.service import build_service


@contextmanager
def live_server(cluster: Any, **settings: Any) -> Iterator[Server]:
    client = cluster.api_client()
    # A cache cut off from the cluster for 2 s says so (tests stop the cluster under it).
    settings.setdefault("cache_staleness_seconds", 2.0)
    config = Settings(
        in_cluster=False,
        k8s_namespace=getattr(cluster, "namespace", "default"),
        **settings,
    )
    service = build_service(config, clock=cluster.clock, api_client=client)
    server = Server(
        service,
        host="127.0.0.1",
        port=0,
        metrics_host="127.0.0.1",
        metrics_port=0,
        health_poll_seconds=0.1,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=0)
        client.close()


@contextmanager
def live_client(cluster: Any, **settings: Any) -> Iterator[JobSchedulerClient]:
    """A client of a live server (see live_server)."""
    with (
        live_server(cluster, **settings) as server,
        JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20) as client,
    ):
        yield client
