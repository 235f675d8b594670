from __future__ import annotations

import io
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from jobscheduler.config import Settings
from jobscheduler.edge.server import Server
from jobscheduler.jobtypes.metadata import SIMULATION_PREFIX
from jobscheduler.logs import configure_logging
from jobscheduler.service import build_service


@pytest.fixture(autouse=True)
def server_log() -> Iterator[io.StringIO]:
    """The in-process server logs here, so stdout/stderr hold only what the CLI printed."""
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    yield buffer
    structlog.reset_defaults()
    logging.getLogger().handlers = []


@pytest.fixture
def server(cluster: Any, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The real stack on loopback: gRPC server -> JobService -> embedded cluster.
    ``@pytest.mark.server_settings(name=value)`` changes its settings."""
    client = cluster.api_client()
    marker = request.node.get_closest_marker("server_settings")
    settings = Settings(
        in_cluster=False,
        k8s_namespace=getattr(cluster, "namespace", "default"),
        # The tests steer simulated pods (exit codes, run times, retries) by annotation.
        pod_annotation_allowed_prefixes=(SIMULATION_PREFIX,),
        **(marker.kwargs if marker else {}),
    )
    service = build_service(settings, clock=cluster.clock, api_client=client)
    srv = Server(service, host="127.0.0.1", port=0, metrics_port=None, health_poll_seconds=0.1)
    srv.start()
    try:
        # Health turns SERVING once the cache has synced and the first poll has run: a test
        # that starts before then (a loaded machine) would see NOT_SERVING.
        deadline = time.monotonic() + 30
        while not srv.ready and time.monotonic() < deadline:
            time.sleep(0.02)
        assert srv.ready, "the server did not become ready"
        yield srv
    finally:
        srv.stop(grace=0)
        client.close()


@pytest.fixture
def target(server: Server) -> str:
    return f"127.0.0.1:{server.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
