"""Status conditions as the Kubernetes controllers write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubesim.clusterapi import JSON
from kubesim.controllers.timeutil import format_time


def find_condition(status: JSON, condition_type: str) -> JSON | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == condition_type:
            return dict(condition)
    return None


def condition_is_true(status: JSON, condition_type: str) -> bool:
    condition = find_condition(status, condition_type)
    return condition is not None and condition.get("status") == "True"


def set_condition(
    status: JSON,
    condition_type: str,
    value: str,
    *,
    reason: str,
    message: str,
    now: datetime,
) -> bool:
    """Add or update a condition; True when something changed.

    Like upstream, ``lastTransitionTime`` moves only when the status flips, and an existing
    condition keeps its ``lastProbeTime``."""
    conditions: list[Any] = list(status.get("conditions") or [])
    stamp = format_time(now)
    for index, condition in enumerate(conditions):
        if condition.get("type") != condition_type:
            continue
        if (condition.get("status"), condition.get("reason"), condition.get("message")) == (
            value,
            reason,
            message,
        ):
            return False
        updated = dict(condition, status=value, reason=reason, message=message)
        if condition.get("status") != value:
            updated["lastTransitionTime"] = stamp
        conditions[index] = updated
        status["conditions"] = conditions
        return True
    conditions.append(
        {
            "type": condition_type,
            "status": value,
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
            "reason": reason,
            "message": message,
        }
    )
    status["conditions"] = conditions
    return True
