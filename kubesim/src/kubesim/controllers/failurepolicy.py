"""spec.podFailurePolicy: which rule, if any, a failed pod matches."""

from __future__ import annotations

from dataclasses import dataclass

from kubesim.clusterapi import JSON


@dataclass(frozen=True)
class RuleMatch:
    action: str  # FailJob | Ignore | Count | FailIndex
    message: str


def match_failure_policy(job: JSON, pod: JSON) -> RuleMatch | None:
    policy = (job.get("spec") or {}).get("podFailurePolicy") or {}
    meta = pod.get("metadata") or {}
    pod_ref = f"{meta.get('namespace')}/{meta.get('name')}"
    for index, rule in enumerate(policy.get("rules") or []):
        action = str(rule.get("action") or "")
        on_exit_codes = rule.get("onExitCodes")
        if on_exit_codes:
            container = _matching_container(pod, on_exit_codes)
            if container is not None:
                name, code = container
                return RuleMatch(
                    action,
                    f"Container {name} for pod {pod_ref} failed with exit code {code} "
                    f"matching {action} rule at index {index}",
                )
        for pattern in rule.get("onPodConditions") or []:
            if _has_condition(pod, str(pattern.get("type")), str(pattern.get("status") or "True")):
                return RuleMatch(
                    action,
                    f"Pod {pod_ref} has condition {pattern.get('type')} "
                    f"matching {action} rule at index {index}",
                )
    return None


def _matching_container(pod: JSON, requirement: JSON) -> tuple[str, int] | None:
    wanted_container = requirement.get("containerName")
    operator = requirement.get("operator")
    values = {int(value) for value in requirement.get("values") or []}
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for item in statuses:
        if wanted_container and item.get("name") != wanted_container:
            continue
        terminated = (item.get("state") or {}).get("terminated")
        if not terminated:
            continue
        code = int(terminated.get("exitCode") or 0)
        if code == 0:
            # Upstream never matches a container that succeeded.
            continue
        if (operator == "In" and code in values) or (operator == "NotIn" and code not in values):
            return str(item.get("name")), code
    return None


def _has_condition(pod: JSON, condition_type: str, value: str) -> bool:
    return any(
        condition.get("type") == condition_type and condition.get("status") == value
        for condition in (pod.get("status") or {}).get("conditions") or []
    )
