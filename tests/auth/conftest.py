"""A real gRPC server with access control over the real service and an embedded cluster."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog

from jobscheduler.config import Settings
from jobscheduler.edge.auth.reviews import Reviewer
from jobscheduler.edge.auth.setup import build_access
from jobscheduler.edge.server import Server
from jobscheduler.logs import configure_logging
from jobscheduler.service import build_service


@pytest.fixture(autouse=True)
def server_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    yield buffer
    structlog.reset_defaults()
    logging.getLogger().handlers = []


@contextmanager
def auth_server(cluster: Any, reviewer: Reviewer | None, **settings: Any) -> Iterator[Server]:
    """The service as a cluster admin (its own rights), callers checked by ``reviewer``."""
    client = cluster.api_client()
    config = Settings(
        in_cluster=False,
        grpc_host="127.0.0.1",
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
        access=build_access(config, reviewer),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=0)
        client.close()
