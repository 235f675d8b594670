"""The one table of ScheduleJobRequest fields: what the caller sets, what Kubernetes stores.

Each row names a request field path, the manifest paths the build writes from it, the
validator that checks it and the build step that writes it. The same rows drive the three
things that must agree: validation before the build, the build itself (steps run in table
order), and the way back — a Kubernetes 422 cause or an oversized annotation named by the
request field the caller set. A test checks the rows against a manifest built from a request
that sets every field, so a new field cannot be validated, built or reported by one and not
the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import dependson, steps, validation
from jobscheduler.jobtypes.base import CONFIG_ANNOTATION, JobTypeHandler, config_to_dict
from jobscheduler.jobtypes.metadata import (
    CREATED_BY_ANNOTATION,
    EXECUTION_ANNOTATION,
    NAME_ANNOTATION,
    SCHEDULE_ANNOTATION,
    START_AT_ANNOTATION,
    STARTUP_DEADLINE_LABEL,
)
from jobscheduler.jobtypes.registry import HandlerRegistry

Step = Callable[[steps.Draft], None]
# In manifest paths, {job} is the Job's spec: "spec" of a Job, "spec.jobTemplate.spec" of a
# CronJob. In request paths, {job_type} is the job_config case the request set.
JOB = "{job}"
JOB_TYPE = "{job_type}"
# Kubernetes refuses an object whose annotations (keys and values) exceed this many bytes.
MAX_ANNOTATION_BYTES = 256 * 1024


@dataclass(frozen=True)
class FieldRow:
    request: str | None  # request field path; None for what the service fixes for every job
    manifest: tuple[str, ...] = ()
    validate: validation.Validator | None = None
    build: tuple[Step, ...] = ()


_POD = f"{JOB}.template.spec"
_CONTAINER = f"{_POD}.containers[0]"

FIELD_TABLE: tuple[FieldRow, ...] = (
    # Fixed by the service: no request field can set or unset them.
    FieldRow(None, (f"{_POD}.restartPolicy",), build=(steps.restart_never,)),
    FieldRow(None, (f"{_CONTAINER}.name",), build=(steps.container_named_after_type,)),
    FieldRow(
        None,
        (f"{_POD}.securityContext", f"{_CONTAINER}.securityContext"),
        build=(steps.restricted_pod_security,),
    ),
    FieldRow(
        None,
        (f"{_POD}.volumes", f"{_CONTAINER}.volumeMounts"),
        build=(steps.read_only_root_filesystem,),
    ),
    FieldRow(
        None, (f"{_POD}.automountServiceAccountToken",), build=(steps.no_service_account_token,)
    ),
    FieldRow(None, (f"{_POD}.enableServiceLinks",), build=(steps.no_service_links,)),
    # What the caller sets, in the order violations are reported.
    FieldRow("job_id", ("metadata.name",), validation.validate_job_id),
    FieldRow("name", (), validation.validate_name),
    FieldRow("created_by", (), validation.validate_created_by),
    FieldRow("namespace", ("metadata.namespace",), validation.validate_namespace),
    FieldRow(JOB_TYPE, (_CONTAINER,), validation.validate_job_config),
    FieldRow(
        "labels",
        ("metadata.labels", f"{JOB}.template.metadata.labels", "spec.jobTemplate.metadata.labels"),
        validation.validate_labels,
        (steps.identity_labels, steps.pod_labels),
    ),
    FieldRow(
        "annotations",
        (
            "metadata.annotations",
            f"{JOB}.template.metadata.annotations",
            "spec.jobTemplate.metadata.annotations",
        ),
        validation.validate_annotations,
        (steps.read_back_annotations, steps.pod_annotations),
    ),
    FieldRow(
        "resources",
        (f"{_CONTAINER}.resources",),
        validation.validate_resources,
        (steps.default_resources,),
    ),
    FieldRow(
        "execution.max_retries",
        (f"{JOB}.backoffLimit",),
        validation.validate_execution,
        (steps.backoff_limit,),
    ),
    FieldRow(
        "execution.timeout_seconds",
        (f"{JOB}.activeDeadlineSeconds",),
        validation.validate_execution,
        (steps.active_deadline,),
    ),
    FieldRow(
        "execution.exit_code_rules",
        (f"{JOB}.podFailurePolicy",),
        validation.validate_execution,
        (steps.pod_failure_policy,),
    ),
    FieldRow(
        "execution.ttl_seconds_after_finished",
        (f"{JOB}.ttlSecondsAfterFinished",),
        validation.validate_execution,
        (steps.ttl_after_finished,),
    ),
    FieldRow(
        "execution.parallelism",
        (f"{JOB}.parallelism",),
        validation.validate_execution,
        (steps.parallelism_and_completions,),
    ),
    FieldRow(
        "execution.completions",
        (f"{JOB}.completions",),
        validation.validate_execution,
        (steps.parallelism_and_completions,),
    ),
    FieldRow(
        "execution.indexed",
        (f"{JOB}.completionMode",),
        validation.validate_execution,
        (steps.parallelism_and_completions,),
    ),
    FieldRow(
        "execution.start_suspended",
        (f"{JOB}.suspend",),
        validation.validate_execution,
        (steps.suspension,),
    ),
    FieldRow(
        "execution.startup_deadline_seconds",
        (
            f"metadata.labels.{STARTUP_DEADLINE_LABEL}",
            f"spec.jobTemplate.metadata.labels.{STARTUP_DEADLINE_LABEL}",
        ),
        validation.validate_execution,
        (steps.startup_deadline,),
    ),
    FieldRow(
        "execution.priority_class_name",
        (f"{_POD}.priorityClassName",),
        validation.validate_execution,
        (steps.priority_class,),
    ),
    FieldRow(
        "schedule.cron",
        ("spec.schedule",),
        validation.validate_schedule,
        (steps.cron_schedule,),
    ),
    FieldRow(
        "schedule.concurrency_policy",
        ("spec.concurrencyPolicy",),
        validation.validate_schedule,
        (steps.cron_schedule,),
    ),
    FieldRow(
        "schedule.time_zone",
        ("spec.timeZone",),
        validation.validate_schedule,
        (steps.cron_schedule,),
    ),
    FieldRow(
        "schedule.starting_deadline_seconds",
        ("spec.startingDeadlineSeconds",),
        validation.validate_schedule,
        (steps.cron_schedule,),
    ),
    FieldRow(
        "schedule.successful_runs_history_limit",
        ("spec.successfulJobsHistoryLimit",),
        validation.validate_schedule,
        (steps.run_history,),
    ),
    FieldRow(
        "schedule.failed_runs_history_limit",
        ("spec.failedJobsHistoryLimit",),
        validation.validate_schedule,
        (steps.run_history,),
    ),
    # A delayed job waits suspended, found by a label, released at the annotated time.
    FieldRow("start_at", (), validation.validate_start_at, (steps.delayed_start,)),
    # A dependent waits suspended, found by a label, released when its dependencies allow.
    FieldRow(
        "depends_on",
        (),
        dependson.validate_depends_on,
        (dependson.wait_for_dependencies,),
    ),
    # Resolved by the service into a full request before validation (``service.templates``):
    # the request that is validated and built never has it.
    FieldRow("template"),
)


def _distinct(items: Iterator[Any]) -> list[Any]:
    """Each validator or step once, at its first row (several rows share one)."""
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


VALIDATORS: tuple[validation.Validator, ...] = tuple(
    _distinct(row.validate for row in FIELD_TABLE if row.validate is not None)
)
BUILD_STEPS: tuple[Step, ...] = tuple(_distinct(step for row in FIELD_TABLE for step in row.build))


def validate_request(req: pb.ScheduleJobRequest, registry: HandlerRegistry) -> list[FieldViolation]:
    """Every violation of every validator, in a stable order (before the build)."""
    violations: list[FieldViolation] = []
    for validator in VALIDATORS:
        violations += validator(req, registry)
    return violations


def manifest_paths(row: FieldRow) -> list[str]:
    """The row's manifest paths, with {job} spelled out for a Job and a CronJob."""
    paths = []
    for path in row.manifest:
        if path.startswith(JOB):
            rest = path.removeprefix(JOB)
            paths += ["spec" + rest, "spec.jobTemplate.spec" + rest]
        else:
            paths.append(path)
    return paths


# Longest manifest path first, so a 422 on containers[0].resources names `resources`, not the
# job type's config.
_BY_MANIFEST_PATH: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((path, row.request) for row in FIELD_TABLE if row.request for path in manifest_paths(row)),
        key=lambda pair: -len(pair[0]),
    )
)


def request_field_of(manifest_path: str, handler: JobTypeHandler) -> str | None:
    """The request field that produced ``manifest_path`` (None when the service wrote it)."""
    for prefix, request in _BY_MANIFEST_PATH:
        if manifest_path == prefix or manifest_path.startswith((prefix + ".", prefix + "[")):
            return handler.request_field if request == JOB_TYPE else request
    return None


def kubernetes_violations(exc: InvalidArgument, handler: JobTypeHandler) -> InvalidArgument:
    """Kubernetes' 422 causes name manifest paths; users wrote request fields. Re-address
    each cause to the request field that produced it, so it reads like one we found."""
    mapped = [
        FieldViolation(request_field_of(v.field, handler) or v.field, v.description)
        for v in exc.violations
    ]
    return InvalidArgument(mapped, exc.message)


# Annotations the build writes from one request field each (the config annotation is split
# by config field below).
_READ_BACK_ANNOTATIONS = {
    NAME_ANNOTATION: "name",
    CREATED_BY_ANNOTATION: "created_by",
    EXECUTION_ANNOTATION: "execution",
    SCHEDULE_ANNOTATION: "schedule",
    START_AT_ANNOTATION: "start_at",
    dependson.DEPENDS_ON_ANNOTATION: "depends_on",
}


def annotation_size_violations(
    req: pb.ScheduleJobRequest, manifest: Mapping[str, Any], handler: JobTypeHandler
) -> list[FieldViolation]:
    """The request is kept in annotations for read-back, next to the user's own: each field
    may be within its own limit while together they exceed what Kubernetes stores on one
    object. Names every request field whose shortening alone would make it fit (or, when
    none would, the largest ones that together would)."""
    annotations: Mapping[str, str] = (manifest.get("metadata") or {}).get("annotations") or {}
    total = sum(_bytes(key) + _bytes(value) for key, value in annotations.items())
    excess = total - MAX_ANNOTATION_BYTES
    if excess <= 0:
        return []
    shares = _annotation_shares(req, annotations, handler)
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    named = [(field, size) for field, size in ranked if size >= excess]
    if not named:
        covered = 0
        for field, size in ranked:
            named.append((field, size))
            covered += size
            if covered >= excess:
                break
    return [
        FieldViolation(
            field,
            f"takes {size} bytes of the annotations that keep this request for read-back; "
            f"with the rest they come to {total} bytes and Kubernetes allows "
            f"{MAX_ANNOTATION_BYTES} (256 KiB): shorten it by {excess} bytes or more",
        )
        for field, size in named
    ]


def _annotation_shares(
    req: pb.ScheduleJobRequest, annotations: Mapping[str, str], handler: JobTypeHandler
) -> dict[str, int]:
    """Annotation bytes per request field the caller set."""
    shares: dict[str, int] = {}
    user = sum(_bytes(key) + _bytes(value) for key, value in req.annotations.items())
    if user:
        shares["annotations"] = user
    for key, field in _READ_BACK_ANNOTATIONS.items():
        if key in annotations:
            shares[field] = _bytes(key) + _bytes(annotations[key])
    if CONFIG_ANNOTATION in annotations:
        config = config_to_dict(handler.config_of(req))
        for name, value in config.items():
            encoded = json.dumps({name: value}, sort_keys=True, separators=(",", ":"))
            shares[f"{handler.request_field}.{name}"] = _bytes(encoded)
    return shares


def _bytes(text: str) -> int:
    return len(text.encode())
