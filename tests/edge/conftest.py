from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobscheduler.client import JobSchedulerClient
from jobscheduler.edge.server import Server

from .fakes import FakeJobService


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
