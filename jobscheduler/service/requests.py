"""Checks shared by the RPCs that address one job, and label-selector building."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.jobtypes.metadata import (
    JOB_TYPE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    SCHEDULE_ID_LABEL,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def job_address(job_id: str, namespace: str, settings: Settings) -> tuple[str, str]:
    """(namespace, name) of the job a request names, or InvalidArgument listing every problem."""
    violations = []
    if not job_id:
        violations.append(FieldViolation("job_id", "is required"))
    elif problem := kubesyntax.dns_label(job_id):
        violations.append(FieldViolation("job_id", problem))
    violations += namespace_violations(namespace)
    if violations:
        raise InvalidArgument(violations)
    return namespace or settings.k8s_namespace, job_id


def namespace_violations(namespace: str, field: str = "namespace") -> list[FieldViolation]:
    problem = kubesyntax.dns_label(namespace) if namespace else None
    return [FieldViolation(field, problem)] if problem else []


def page_size_violations(page_size: int, field: str = "page_size") -> list[FieldViolation]:
    return [FieldViolation(field, "must not be negative")] if page_size < 0 else []


def effective_page_size(page_size: int) -> int:
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def selector_violations(labels: Mapping[str, str], field: str) -> list[FieldViolation]:
    violations = []
    for key in sorted(labels):
        path = f'{field}["{key}"]'
        if problem := kubesyntax.qualified_name(key):
            violations.append(FieldViolation(path, f"key {problem}"))
        if problem := kubesyntax.label_value(labels[key]):
            violations.append(FieldViolation(path, f"value {problem}"))
    return violations


def job_type_violations(
    job_types: Iterable[str], registry: HandlerRegistry, field: str = "job_types"
) -> list[FieldViolation]:
    known = registry.names()
    return [
        FieldViolation(f"{field}[{index}]", f"unknown job type; known: {', '.join(known)}")
        for index, name in enumerate(job_types)
        if name not in known
    ]


def schedule_id_violations(schedule_id: str, field: str = "schedule_id") -> list[FieldViolation]:
    problem = kubesyntax.dns_label(schedule_id) if schedule_id else None
    return [FieldViolation(field, problem)] if problem else []


def status_filter_violations(
    states: Iterable[int], field: str = "status_filter"
) -> list[FieldViolation]:
    return [
        FieldViolation(f"{field}[{index}]", "is not a job status")
        for index, state in enumerate(states)
        if state not in pb.JobStatus.values() or state == pb.JOB_STATUS_UNSPECIFIED
    ]


def managed_selector(
    labels: Mapping[str, str] | None = None,
    job_types: Iterable[str] = (),
    schedule_id: str = "",
) -> str:
    """A Kubernetes label selector for our objects with these (validated) filters."""
    terms = [f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"]
    terms += [f"{key}={value}" for key, value in sorted((labels or {}).items())]
    types = sorted(set(job_types))
    if types:
        terms.append(f"{JOB_TYPE_LABEL} in ({','.join(types)})")
    if schedule_id:
        terms.append(f"{SCHEDULE_ID_LABEL}={schedule_id}")
    return ",".join(terms)
