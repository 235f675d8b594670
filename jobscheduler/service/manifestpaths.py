"""Kubernetes' 422 causes name manifest paths; users wrote request fields. This maps one to
the other, so a violation the API server found reads like one we found ourselves."""

from __future__ import annotations

from jobscheduler.errors import FieldViolation, InvalidArgument

# Job spec fields and the execution option that sets each (also under a CronJob's template).
_JOB_SPEC_FIELDS = (
    ("podFailurePolicy", "execution.exit_code_rules"),
    ("activeDeadlineSeconds", "execution.timeout_seconds"),
    ("backoffLimit", "execution.max_retries"),
    ("ttlSecondsAfterFinished", "execution.ttl_seconds_after_finished"),
    ("parallelism", "execution.parallelism"),
    ("completions", "execution.completions"),
    ("completionMode", "execution.indexed"),
    ("suspend", "execution.start_suspended"),
    ("template.spec.priorityClassName", "execution.priority_class_name"),
    ("template.spec.containers[0].resources", "resources"),
    ("template.spec.containers[0]", "{job_type}"),
)
# Manifest path prefixes, most specific first, and the request field a user should fix.
_MANIFEST_FIELDS = (
    ("metadata.name", "job_id"),
    ("metadata.namespace", "namespace"),
    ("metadata.labels", "labels"),
    ("metadata.annotations", "annotations"),
    ("spec.schedule", "schedule.cron"),
    ("spec.timeZone", "schedule.time_zone"),
    ("spec.startingDeadlineSeconds", "schedule.starting_deadline_seconds"),
    ("spec.successfulJobsHistoryLimit", "schedule.successful_runs_history_limit"),
    ("spec.failedJobsHistoryLimit", "schedule.failed_runs_history_limit"),
    ("spec.concurrencyPolicy", "schedule.concurrency_policy"),
    *((f"spec.jobTemplate.spec.{path}", field) for path, field in _JOB_SPEC_FIELDS),
    *((f"spec.{path}", field) for path, field in _JOB_SPEC_FIELDS),
)


def manifest_violations(exc: InvalidArgument, request_field: str) -> InvalidArgument:
    """Kubernetes' 422 causes, re-addressed to the request fields that produced them."""
    mapped = []
    for violation in exc.violations:
        field = violation.field
        for prefix, request_path in _MANIFEST_FIELDS:
            if field.startswith(prefix):
                field = request_path.format(job_type=request_field)
                break
        mapped.append(FieldViolation(field, violation.description))
    return InvalidArgument(mapped, exc.message)
