"""The Job controller's decisions as a pure function: (job, its pods, now) -> actions.

It follows the current upstream controller (1.31+): interim ``SuccessCriteriaMet`` /
``FailureTarget`` conditions come first, and the final ``Complete`` / ``Failed`` condition is
added once no pod of the Job is still running or terminating. Every pod carries the
``batch.kubernetes.io/job-tracking`` finalizer until the status written for it counts it; counts
never go down, so pods removed after they were counted do not undo progress.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from kubesim.clusterapi import JSON
from kubesim.controllers import jobpods
from kubesim.controllers.conditions import (
    condition_is_true,
    find_condition,
    set_condition,
)
from kubesim.controllers.failurepolicy import match_failure_policy
from kubesim.controllers.timeutil import format_time, parse_time, seconds_between

BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"
FAILED_INDEXES_MESSAGE = "Job has failed indexes"
MAX_FAILED_INDEXES_MESSAGE = "Job has exceeded the specified maximal number of failed indexes"


@dataclass(frozen=True)
class Event:
    type: str  # Normal | Warning
    reason: str
    message: str


@dataclass
class JobActions:
    status: JSON
    pods_to_create: list[JSON] = field(default_factory=list)
    pods_to_delete: list[str] = field(default_factory=list)
    # Pods whose tracking finalizer may go once ``status`` is written (they are counted).
    pods_to_release: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # Clock seconds after which the Job must be looked at again even if nothing changes.
    requeue_after: float | None = None


@dataclass(frozen=True)
class BackoffPolicy:
    """Delay before replacing failed pods: base * 2^(failures since last success - 1)."""

    base_seconds: float = 10.0
    max_seconds: float = 360.0


def is_finished(job: JSON) -> bool:
    status = job.get("status") or {}
    return condition_is_true(status, "Complete") or condition_is_true(status, "Failed")


def finish_time(job: JSON) -> datetime | None:
    """When the Job got its Complete or Failed condition."""
    status = job.get("status") or {}
    for condition_type in ("Complete", "Failed"):
        condition = find_condition(status, condition_type)
        if condition is not None and condition.get("status") == "True":
            return parse_time(condition.get("lastTransitionTime"))
    return None


def reconcile_job(
    job: JSON, pods: list[JSON], now: datetime, backoff: BackoffPolicy | None = None
) -> JobActions:
    backoff = backoff or BackoffPolicy()
    spec = job.get("spec") or {}
    status = copy.deepcopy(job.get("status") or {})
    actions = JobActions(status=status)
    if is_finished(job):
        actions.pods_to_release = releasable_pods(pods, everything=True)
        return actions

    indexed = spec.get("completionMode") == "Indexed"
    completions = spec.get("completions")
    parallelism = int(spec.get("parallelism", 1) or 0)
    suspended = bool(spec.get("suspend"))

    active = [pod for pod in pods if jobpods.is_active(pod)]
    terminating = [pod for pod in pods if jobpods.is_terminating(pod)]
    # A pod deleted while running was stopped on purpose (suspend, deadline, excess): the
    # controller counts it itself when it deletes it, so it is never a "failed" pod here.
    failed_pods = [
        pod for pod in pods if jobpods.phase(pod) == "Failed" and not jobpods.is_deleting(pod)
    ]
    succeeded_pods = [pod for pod in pods if jobpods.phase(pod) == "Succeeded"]

    failure_reason, failure_message = "", ""
    counted_failures: list[JSON] = []
    for pod in failed_pods:
        match = match_failure_policy(job, pod)
        if match is not None and match.action == "Ignore":
            continue
        counted_failures.append(pod)
        if match is not None and match.action == "FailJob" and not failure_reason:
            failure_reason, failure_message = "PodFailurePolicy", match.message

    failed = max(int(status.get("failed") or 0), len(counted_failures))
    completed: set[int] = set()
    if indexed:
        completed = jobpods.parse_indexes(status.get("completedIndexes"))
        limit = int(completions or 0)
        completed |= {
            index
            for pod in succeeded_pods
            if (index := jobpods.completion_index(pod)) is not None and 0 <= index < limit
        }
        succeeded = len(completed)
        if completed:
            status["completedIndexes"] = jobpods.format_indexes(completed)
    else:
        succeeded = max(int(status.get("succeeded") or 0), len(succeeded_pods))
    failed_indexes = _failed_indexes(job, status, counted_failures)
    if failed_indexes is not None:
        status["failedIndexes"] = jobpods.format_indexes(failed_indexes)

    _track_suspension(job, status, actions, suspended, now)
    if not suspended and not status.get("startTime"):
        status["startTime"] = format_time(now)

    already_failing = find_condition(status, "FailureTarget")
    already_succeeding = find_condition(status, "SuccessCriteriaMet")
    deleted_now: list[JSON] = []

    if already_failing is None and already_succeeding is None and not suspended:
        if not failure_reason and failed_indexes is not None:
            failure_reason, failure_message = _per_index_failure(spec, failed_indexes, completed)
        elif not failure_reason and _past_backoff_limit(spec, failed, active):
            failure_reason, failure_message = "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE
        deadline_left = _deadline_left(spec, status, now)
        if not failure_reason and deadline_left is not None:
            if deadline_left <= 0:
                failure_reason, failure_message = "DeadlineExceeded", DEADLINE_MESSAGE
            else:
                actions.requeue_after = deadline_left
        if failure_reason:
            set_condition(
                status,
                "FailureTarget",
                "True",
                reason=failure_reason,
                message=failure_message,
                now=now,
            )
            actions.events.append(Event("Warning", failure_reason, failure_message))
            already_failing = find_condition(status, "FailureTarget")
            actions.requeue_after = None
        elif (rule := _success_policy_rule(spec, completed)) is not None:
            set_condition(
                status,
                "SuccessCriteriaMet",
                "True",
                reason="SuccessPolicy",
                message=f"Matched rules at index {rule}",
                now=now,
            )
            already_succeeding = find_condition(status, "SuccessCriteriaMet")
        elif _succeeded_enough(completions, succeeded, active):
            set_condition(
                status,
                "SuccessCriteriaMet",
                "True",
                reason="CompletionsReached",
                message=COMPLETIONS_MESSAGE,
                now=now,
            )
            already_succeeding = find_condition(status, "SuccessCriteriaMet")

    if already_failing is not None or already_succeeding is not None or suspended:
        # Finishing or suspended: no pod may keep running.
        deleted_now = list(active)
        if already_failing is not None:
            failed += len(deleted_now)
    else:
        deleted_now, creations, delay = _scale(
            job,
            active,
            replacing=terminating if spec.get("podReplacementPolicy") == "Failed" else [],
            succeeded=succeeded,
            failed_pods=counted_failures,
            succeeded_pods=succeeded_pods,
            now=now,
            backoff=backoff,
            indexed=indexed,
            completions=completions,
            parallelism=parallelism,
            completed=jobpods.parse_indexes(status.get("completedIndexes"))
            | (failed_indexes or set()),
        )
        actions.pods_to_create = creations
        if delay is not None:
            actions.requeue_after = min(delay, actions.requeue_after or delay)
    actions.pods_to_delete = [jobpods.pod_name(pod) for pod in deleted_now]

    # Pods deleted just now still count: the final condition waits until they are gone.
    still_running = len(active) + len(terminating)
    if already_failing is not None and still_running == 0:
        set_condition(
            status,
            "Failed",
            "True",
            reason=str(already_failing.get("reason")),
            message=str(already_failing.get("message")),
            now=now,
        )
    elif already_succeeding is not None and still_running == 0:
        set_condition(
            status,
            "Complete",
            "True",
            reason=str(already_succeeding.get("reason")),
            message=str(already_succeeding.get("message")),
            now=now,
        )
        status["completionTime"] = format_time(now)
        actions.events.append(Event("Normal", "Completed", "Job completed"))

    remaining_active = len(active) - len(deleted_now) + len(actions.pods_to_create)
    _set_count(status, "active", remaining_active)
    _set_count(status, "succeeded", succeeded)
    _set_count(status, "failed", failed)
    status["ready"] = sum(1 for pod in active if pod not in deleted_now and jobpods.is_ready(pod))
    status["terminating"] = len(terminating) + len(deleted_now)
    status.setdefault("uncountedTerminatedPods", {})
    if suspended and remaining_active == 0 and status["terminating"] == 0:
        # Current controllers forget when a suspended Job started once its pods are gone: the
        # deadline counts from the resume, and the template's scheduling directives may change
        # again (reference v1.36 C5).
        status.pop("startTime", None)
    actions.pods_to_release = releasable_pods(pods, everything=is_finished({"status": status}))
    return actions


def releasable_pods(pods: list[JSON], *, everything: bool) -> list[str]:
    """Tracked pods the status now accounts for: finished ones, and deleted ones whose deletion
    is final (no grace period left: unscheduled, or its kubelet has stopped it); with
    ``everything`` (the Job is finished) all of them."""
    return [
        jobpods.pod_name(pod)
        for pod in pods
        if jobpods.is_tracked(pod)
        and (everything or jobpods.is_terminal(pod) or jobpods.is_gone_but_tracked(pod))
    ]


def _track_suspension(
    job: JSON, status: JSON, actions: JobActions, suspended: bool, now: datetime
) -> None:
    was_suspended = condition_is_true(status, "Suspended")
    if suspended and not was_suspended:
        set_condition(
            status, "Suspended", "True", reason="JobSuspended", message="Job suspended", now=now
        )
        actions.events.append(Event("Normal", "Suspended", "Job suspended"))
    elif not suspended and was_suspended:
        set_condition(
            status, "Suspended", "False", reason="JobResumed", message="Job resumed", now=now
        )
        actions.events.append(Event("Normal", "Resumed", "Job resumed"))
        # Upstream restarts the activeDeadlineSeconds clock on resume.
        status["startTime"] = format_time(now)


def _success_policy_rule(spec: JSON, completed: set[int]) -> int | None:
    """The index of the first successPolicy rule the succeeded indexes satisfy."""
    if spec.get("completionMode") != "Indexed":
        return None
    for position, rule in enumerate((spec.get("successPolicy") or {}).get("rules") or []):
        wanted = rule.get("succeededIndexes")
        indexes = jobpods.parse_indexes(wanted) if wanted else None
        done = completed if indexes is None else completed & indexes
        count = rule.get("succeededCount")
        if count is not None and len(done) >= int(count):
            return position
        if count is None and indexes is not None and indexes <= completed:
            return position
    return None


def _failed_indexes(job: JSON, status: JSON, counted_failures: list[JSON]) -> set[int] | None:
    """Indexes that may not be retried (backoffLimitPerIndex exhausted, or a FailIndex rule);
    None unless the Job uses backoffLimitPerIndex."""
    spec = job.get("spec") or {}
    limit = spec.get("backoffLimitPerIndex")
    if limit is None or spec.get("completionMode") != "Indexed":
        return None
    failed = jobpods.parse_indexes(status.get("failedIndexes"))
    failures: dict[int, int] = {}
    for pod in counted_failures:
        index = jobpods.completion_index(pod)
        if index is None:
            continue
        failures[index] = failures.get(index, 0) + 1
        match = match_failure_policy(job, pod)
        if match is not None and match.action == "FailIndex":
            failed.add(index)
    failed |= {index for index, count in failures.items() if count > int(limit)}
    return failed


def _per_index_failure(spec: JSON, failed: set[int], completed: set[int]) -> tuple[str, str]:
    max_failed = spec.get("maxFailedIndexes")
    if max_failed is not None and len(failed) > int(max_failed):
        return "MaxFailedIndexesExceeded", MAX_FAILED_INDEXES_MESSAGE
    if failed and len(failed | completed) >= int(spec.get("completions") or 0):
        return "FailedIndexes", FAILED_INDEXES_MESSAGE
    return "", ""


def _past_backoff_limit(spec: JSON, failed: int, active: list[JSON]) -> bool:
    backoff_limit = int(spec.get("backoffLimit", 6))
    if failed > backoff_limit:
        return True
    restart_policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart_policy != "OnFailure":
        return False
    restarts = sum(jobpods.restart_count(pod) for pod in active)
    return restarts > 0 if backoff_limit == 0 else restarts >= backoff_limit


def _deadline_left(spec: JSON, status: JSON, now: datetime) -> float | None:
    deadline = spec.get("activeDeadlineSeconds")
    started = parse_time(status.get("startTime"))
    if deadline is None or started is None:
        return None
    return float(deadline) - seconds_between(started, now)


def _succeeded_enough(completions: int | None, succeeded: int, active: list[JSON]) -> bool:
    if completions is None:
        # Work-queue Jobs: done once a pod succeeded and the others have stopped.
        return succeeded > 0 and not active
    return succeeded >= int(completions)


def _scale(
    job: JSON,
    active: list[JSON],
    *,
    replacing: list[JSON],
    succeeded: int,
    failed_pods: list[JSON],
    succeeded_pods: list[JSON],
    now: datetime,
    backoff: BackoffPolicy,
    indexed: bool,
    completions: int | None,
    parallelism: int,
    completed: set[int],
) -> tuple[list[JSON], list[JSON], float | None]:
    """Pods to delete and to create so the Job runs as many pods as it should.

    ``replacing`` are terminating pods that still hold their place (podReplacementPolicy
    Failed: a pod is replaced only once it has fully stopped)."""
    if indexed:
        total = int(completions or 0)
        taken = {jobpods.completion_index(pod) for pod in active + replacing}
        pending = [i for i in range(total) if i not in completed and i not in taken]
        want_new = max(0, min(parallelism - len(active) - len(replacing), len(pending)))
        excess = max(0, len(active) - parallelism)
    else:
        if completions is None:
            wanted = parallelism if succeeded == 0 else len(active)
        else:
            wanted = min(parallelism, max(0, int(completions) - succeeded))
        want_new = max(0, wanted - len(active) - len(replacing))
        excess = max(0, len(active) - wanted)
        pending = []
    # Delete not-ready pods before ready ones, like upstream.
    deletions = sorted(active, key=jobpods.is_ready)[:excess] if excess else []
    if want_new == 0:
        return deletions, [], None
    delay = _backoff_left(failed_pods, succeeded_pods, now, backoff)
    if delay > 0:
        return deletions, [], delay
    if indexed:
        return deletions, [jobpods.build_pod(job, index) for index in pending[:want_new]], None
    return deletions, [jobpods.build_pod(job, None) for _ in range(want_new)], None


def _backoff_left(
    failed_pods: list[JSON], succeeded_pods: list[JSON], now: datetime, backoff: BackoffPolicy
) -> float:
    last_success = max(
        (moment for pod in succeeded_pods if (moment := jobpods.finished_at(pod))), default=None
    )
    failures = [
        moment
        for pod in failed_pods
        if (moment := jobpods.finished_at(pod)) is not None
        and (last_success is None or moment > last_success)
    ]
    if not failures:
        return 0.0
    delay = min(backoff.max_seconds, backoff.base_seconds * 2 ** (len(failures) - 1))
    return float(delay) - seconds_between(max(failures), now)


def _set_count(status: JSON, key: str, value: int) -> None:
    # Zero counts are omitted, as the API server's omitempty does.
    if value:
        status[key] = value
    else:
        status.pop(key, None)
