"""How often the background sweep asks Kubernetes for what: starting delayed jobs is due every
pass, retiring cancelled ones (whose TTLs are seconds to days) far less often."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from jobscheduler.clock import FakeClock
from jobscheduler.kube import JOBS, Resource
from jobscheduler.service.release import RETIRE_INTERVAL_SECONDS, BackgroundSweeper


class CountingGateway:
    def __init__(self) -> None:
        self.lists: Counter[str] = Counter()

    def list(
        self, resource: Resource, namespace: str | None, *, label_selector: str = "", **_: Any
    ) -> Any:
        if resource == JOBS:
            last_term = label_selector.rsplit(",", maxsplit=1)[-1]
            self.lists["jobs:" + last_term.partition("=")[0]] += 1
        else:
            self.lists[resource.plural] += 1
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
