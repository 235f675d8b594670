"""Stopping the service ends its watch cache's threads at once, however quiet the watches."""

from __future__ import annotations

import threading
from typing import Any

from .conftest import make_service


def _cache_threads() -> set[threading.Thread]:
    threads = threading.enumerate()
    return {thread for thread in threads if thread.name.startswith("jobscheduler-cache-")}


def test_stop_ends_every_informer_while_its_watch_is_quiet(cluster: Any) -> None:
    before = _cache_threads()
    # Watches that the server would keep open for minutes: only the stop can end them.
    service, client = make_service(cluster, cache_watch_timeout_seconds=300)
    try:
        started = _cache_threads() - before
        assert started, "the cache runs no informer"
    finally:
        service.stop()
        client.close()
    assert [thread.name for thread in started if thread.is_alive()] == []
