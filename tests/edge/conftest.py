from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from jobscheduler.client import JobSchedulerClient
from jobscheduler.edge.server import Server
from jobscheduler.logs import configure_logging

from .fakes import FakeJobService


@pytest.fixture(autouse=True)
def server_log() -> Iterator[io.StringIO]:
    """Server logs go here, not to the terminal (some are written after a test's capture ends,
    by the gRPC thread that closes a cancelled stream)."""
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    yield buffer
    structlog.reset_defaults()
    logging.getLogger().handlers = []


@pytest.fixture
def fake_service() -> FakeJobService:
    return FakeJobService()


@pytest.fixture
def server(fake_service: FakeJobService) -> Iterator[Server]:
    srv = Server(
        fake_service,
        host="127.0.0.1",
        port=0,
        metrics_host="127.0.0.1",
        metrics_port=0,
        shutdown_grace_seconds=5,
        health_poll_seconds=0.02,
    )
    srv.start()
    yield srv
    srv.stop(grace=0)


@pytest.fixture
def client(server: Server) -> Iterator[JobSchedulerClient]:
    with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=10) as c:
        yield c
