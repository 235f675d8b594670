"""``depends_on`` as manifest metadata: its shape, and the labels and annotations it becomes. Pure.

A dependent Job is created suspended with a "waiting" label (so the release sweep lists only
waiting jobs), one label per dependency whose key is a hash of the dependency's id and whose
value is the id (so a job's dependents are one label-selector list, never a scan), and an
annotation with the dependencies as requested (read back into JobInfo and by the sweep).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.steps import Draft

MAX_DEPENDENCIES = 32
WAITING_LABEL = "jobscheduler.io/waiting-for-dependencies"
_DEPENDS_ON_LABEL_PREFIX = "jobscheduler.io/depends-on-"
DEPENDS_ON_ANNOTATION = "jobscheduler.io/depends-on"
# {job_id: uid} of each dependency when the dependent was created: a dependency deleted and
# created again under its id is another job, and counts as deleted.
DEPENDENCY_UIDS_ANNOTATION = "jobscheduler.io/dependency-uids"
# Dependencies whose condition already held, so a finished dependency removed by its TTL
# before the others finish still counts.
DEPENDENCIES_MET_ANNOTATION = "jobscheduler.io/dependencies-met"
# Why the service (not a user) cancelled a job: reason and message, as GetJobStatus shows them.
CANCELLED_REASON_ANNOTATION = "jobscheduler.io/cancelled-reason"
CANCELLED_MESSAGE_ANNOTATION = "jobscheduler.io/cancelled-message"

WAITING_REASON = "WaitingForDependencies"
FAILED_REASON = "DependencyFailed"

_CONDITION_NAMES: dict[int, str] = {
    pb.JobDependency.CONDITION_SUCCEEDED: "succeeded",
    pb.JobDependency.CONDITION_FAILED: "failed",
    pb.JobDependency.CONDITION_FINISHED: "finished",
}
_CONDITIONS_BY_NAME = {name: value for value, name in _CONDITION_NAMES.items()}
# The final states that satisfy each condition; a cancelled dependency satisfies none.
SATISFYING_STATES = {
    "succeeded": frozenset({pb.JOB_STATUS_SUCCEEDED}),
    "failed": frozenset({pb.JOB_STATUS_FAILED}),
    "finished": frozenset({pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED}),
}


@dataclass(frozen=True)
class Dependency:
    job_id: str
    condition: str  # "succeeded", "failed" or "finished"

    def describe(self) -> str:
        return f"{self.job_id} ({self.condition})"


def condition_name(value: int) -> str:
    return _CONDITION_NAMES.get(value, "succeeded")


def depends_on_label(job_id: str) -> str:
    """The label key on a dependent naming ``job_id`` (its value is ``job_id``): a hash keeps
    the key a valid label name whatever the id."""
    return _DEPENDS_ON_LABEL_PREFIX + hashlib.sha256(job_id.encode()).hexdigest()[:16]


def dependents_selector(job_id: str) -> str:
    return f"{depends_on_label(job_id)}={job_id}"


def requested(req: pb.ScheduleJobRequest) -> list[Dependency]:
    return [Dependency(d.job_id, condition_name(d.condition)) for d in req.depends_on]


def validate_depends_on(req: pb.ScheduleJobRequest, _: object) -> list[FieldViolation]:
    """The shape of depends_on; whether each dependency exists is checked by the service."""
    if not req.depends_on:
        return []
    if len(req.depends_on) > MAX_DEPENDENCIES:
        return [
            FieldViolation(
                "depends_on",
                f"at most {MAX_DEPENDENCIES} dependencies per job (got {len(req.depends_on)})",
            )
        ]
    if req.HasField("schedule"):
        return [
            FieldViolation("depends_on", "a schedule runs on its cron; it cannot wait for jobs")
        ]
    if req.execution.start_suspended:
        return [FieldViolation("depends_on", "cannot be combined with execution.start_suspended")]
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for index, dependency in enumerate(req.depends_on):
        field = f"depends_on[{index}]"
        if not dependency.job_id:
            violations.append(FieldViolation(f"{field}.job_id", "is required"))
        elif problem := kubesyntax.dns_label(dependency.job_id):
            violations.append(FieldViolation(f"{field}.job_id", problem))
        elif dependency.job_id == req.job_id:
            violations.append(FieldViolation(f"{field}.job_id", "a job cannot depend on itself"))
        elif dependency.job_id in seen:
            violations.append(FieldViolation(f"{field}.job_id", "is listed twice"))
        seen.add(dependency.job_id)
        if dependency.condition not in (0, *_CONDITION_NAMES):
            violations.append(FieldViolation(f"{field}.condition", "unknown condition"))
        if dependency.namespace and (problem := kubesyntax.dns_label(dependency.namespace)):
            violations.append(FieldViolation(f"{field}.namespace", problem))
    return violations


def waiting_metadata(dependencies: Iterable[Dependency]) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) of a Job waiting for ``dependencies``."""
    listed = list(dependencies)
    labels = {WAITING_LABEL: "true"} | {depends_on_label(d.job_id): d.job_id for d in listed}
    encoded = json.dumps(
        [{"job_id": d.job_id, "condition": d.condition} for d in listed], separators=(",", ":")
    )
    return labels, {DEPENDS_ON_ANNOTATION: encoded}


def wait_for_dependencies(d: Draft) -> None:
    """A dependent waits suspended (see ``steps.suspension``) with its labels and annotation."""
    if d.req.depends_on:
        labels, annotations = waiting_metadata(requested(d.req))
        d.labels.update(labels)
        d.annotations.update(annotations)


def stored(annotations: Mapping[str, str]) -> list[Dependency]:
    """The dependencies kept on a Job (empty when none, or when the annotation is mangled)."""
    try:
        items = json.loads(annotations.get(DEPENDS_ON_ANNOTATION) or "[]")
        return [
            Dependency(str(item["job_id"]), str(item.get("condition") or "succeeded"))
            for item in items
            if str(item.get("condition") or "succeeded") in SATISFYING_STATES
        ]
    except (ValueError, TypeError, KeyError):
        return []


def stored_mapping(annotations: Mapping[str, str], key: str) -> dict[str, str]:
    try:
        value = json.loads(annotations.get(key) or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def unmet(annotations: Mapping[str, str]) -> list[Dependency]:
    met = stored_mapping(annotations, DEPENDENCIES_MET_ANNOTATION)
    return [d for d in stored(annotations) if d.job_id not in met]


def as_messages(dependencies: Iterable[Dependency]) -> list[pb.JobDependency]:
    return [
        pb.JobDependency(
            job_id=d.job_id,
            condition=_CONDITIONS_BY_NAME[d.condition],  # type: ignore[arg-type]
        )
        for d in dependencies
    ]
