"""A pod's quality-of-service class, computed as kube-apiserver does when it creates the pod.

Only cpu and memory count, zero amounts count as unset, and init containers count like the
others. Defaulting has already copied limits into missing requests (reference v1.36 A4), so a
pod with limits only is Guaranteed.
"""

from __future__ import annotations

from decimal import Decimal

from kubesim.apiserver.validation import parse_quantity
from kubesim.clusterapi import JSON

_QOS_RESOURCES = ("cpu", "memory")


def _add_positive(totals: dict[str, Decimal], amounts: JSON) -> set[str]:
    """Add the positive cpu/memory ``amounts`` into ``totals``; the names that were added."""
    found: set[str] = set()
    for name in _QOS_RESOURCES:
        amount = parse_quantity(amounts.get(name))
        if amount is not None and amount > 0:
            totals[name] = totals.get(name, Decimal(0)) + amount
            found.add(name)
    return found


def qos_class(spec: JSON) -> str:
    """``Guaranteed``, ``Burstable`` or ``BestEffort`` for a (defaulted) pod spec."""
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    guaranteed = True
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        resources = container.get("resources") or {}
        _add_positive(requests, resources.get("requests") or {})
        if _add_positive(limits, resources.get("limits") or {}) != set(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if (
        guaranteed
        and requests.keys() == limits.keys()
        and all(limits[name] == amount for name, amount in requests.items())
    ):
        return "Guaranteed"
    return "Burstable"


def default_requests_from_limits(spec: JSON) -> None:
    """What SetDefaults_Pod does (for pods only, not templates): a limit without a request
    becomes the request too."""
    for section in ("initContainers", "containers"):
        for container in spec.get(section) or []:
            resources = container.get("resources")
            if not resources or not resources.get("limits"):
                continue
            requests = resources.setdefault("requests", {})
            for name, value in resources["limits"].items():
                requests.setdefault(name, value)
