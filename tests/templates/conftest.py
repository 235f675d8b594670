from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler.client import JobSchedulerClient
from tests.edge.live import live_client

from .support import HOOKS


@pytest.fixture
def client(cluster: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[JobSchedulerClient]:
    """The real gRPC server and service against the cluster; webhooks may reach HOOKS."""
    monkeypatch.setenv("EGRESS_ALLOWED_HOSTS", f"{HOOKS},status.example.com")
    with live_client(cluster) as c:
        yield c
