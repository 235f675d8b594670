"""On a real cluster (JOBSCHEDULER_TEST_KUBECONFIG), the controller tests run too: a
``clock_speed`` mark there only means "wait longer", so it is dropped instead of skipping the
test (the shared ``cluster`` fixture skips fast-clock tests). Tests marked ``embedded_only`` rely
on the simulation itself (simulated-kubelet annotations, minutes of cron time) and are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REAL_CLUSTER_ENV = "JOBSCHEDULER_TEST_KUBECONFIG"
HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded_only: relies on the embedded cluster's simulation (skipped on a real cluster)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(REAL_CLUSTER_ENV):
        return
    for item in items:
        if HERE not in item.path.parents:
            continue
        if item.get_closest_marker("embedded_only") is not None:
            item.add_marker(
                pytest.mark.skip(
                    reason="relies on the embedded cluster's simulation, which a real cluster "
                    f"({REAL_CLUSTER_ENV}) does not have"
                )
            )
        else:
            item.own_markers[:] = [m for m in item.own_markers if m.name != "clock_speed"]


@pytest.fixture
def ns(cluster: Any) -> str:
    """The namespace the test works in (a fresh one on a real cluster)."""
    return str(cluster.namespace)
