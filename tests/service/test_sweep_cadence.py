"""How often the background sweep asks Kubernetes for what: starting delayed jobs is due every
pass, retiring cancelled ones (whose TTLs are seconds to days) far less often."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from jobscheduler.clock import FakeClock
from jobscheduler.kube import JOBS, Resource
from jobscheduler.service.release import (
    RETIRE_INTERVAL_SECONDS,
    UNCACHED_SWEEP_INTERVAL_SECONDS,
    BackgroundSweeper,
)


class CountingGateway:
    def __init__(self) -> None:
        self.lists: Counter[str] = Counter()
        self.namespaced: Counter[str] = Counter()  # lists in one namespace
        self.across: Counter[str] = Counter()  # lists across namespaces
        self.excluded: set[str] = set()  # field selectors of those

    def list(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        **_: Any,
    ) -> Any:
        if resource == JOBS:
            last_term = label_selector.rsplit(",", maxsplit=1)[-1]
            what = "jobs:" + last_term.partition("=")[0]
        else:
            what = resource.plural
        self.lists[what] += 1
        (self.across if namespace is None else self.namespaced)[what] += 1
        if namespace is None and field_selector:
            self.excluded.add(field_selector)
        return {"items": []}


def test_cancelled_jobs_are_looked_for_once_per_retire_interval() -> None:
    gateway = CountingGateway()
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    sweeper = BackgroundSweeper(gateway, clock, "default", interval_seconds=2)  # type: ignore[arg-type]
    passes = int(RETIRE_INTERVAL_SECONDS / 2) * 3
    for _ in range(passes):
        sweeper.sweep()
        clock.advance(2)
    assert gateway.lists["jobs:jobscheduler.io/start-at"] == passes
    assert gateway.lists["jobs:jobscheduler.io/cancelled"] == 3
    assert gateway.lists["cronjobs"] == 3


class CountingCache(CountingGateway):
    """The reader a cached service sweeps through: it holds ``default``."""

    namespaces = ("default",)
    synced = True


def test_the_cached_namespace_is_swept_from_the_cache_and_the_others_every_few_passes() -> None:
    gateway, cache = CountingGateway(), CountingCache()
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    sweeper = BackgroundSweeper(
        gateway,  # type: ignore[arg-type]
        clock,
        "default",
        reader=cache,  # type: ignore[arg-type]
        cache=cache,  # type: ignore[arg-type]
        interval_seconds=2,
    )
    passes = int(UNCACHED_SWEEP_INTERVAL_SECONDS / 2) * 3
    for _ in range(passes):
        sweeper.sweep()
        clock.advance(2)
    # Every pass asks the cache about the default namespace; the API server is asked (for
    # the namespaces the cache does not hold) once per interval, not on every pass.
    assert cache.namespaced["jobs:jobscheduler.io/start-at"] == passes
    assert cache.across["jobs:jobscheduler.io/start-at"] == 3
    assert cache.excluded == {"metadata.namespace!=default"}


def test_before_the_cache_has_synced_its_namespaces_wait_for_the_next_passes() -> None:
    gateway, cache = CountingGateway(), CountingCache()
    cache.synced = False
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    sweeper = BackgroundSweeper(
        gateway,  # type: ignore[arg-type]
        clock,
        "default",
        reader=cache,  # type: ignore[arg-type]
        cache=cache,  # type: ignore[arg-type]
    )
    sweeper.sweep()
    # Only the namespaces the cache does not hold: the API server is serving the sync.
    assert cache.namespaced["jobs:jobscheduler.io/start-at"] == 0
    assert cache.across["jobs:jobscheduler.io/start-at"] == 1
    cache.synced = True
    clock.advance(2)
    sweeper.sweep()
    assert cache.namespaced["jobs:jobscheduler.io/start-at"] == 1
