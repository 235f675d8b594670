"""The validators of a ScheduleJobRequest: every problem at once, each with its field path.

Small validators (Armada style); each returns the violations it finds. ``fieldtable`` says
which request fields each one checks and runs them (``fieldtable.validate_request``). The job type's
own handler validates its config under its request field (e.g. ``timer_job.duration_seconds``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from jobscheduler import kubesyntax, quantities, timeparse
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.metadata import is_reserved_key, pod_annotation_problem
from jobscheduler.jobtypes.registry import REQUEST_ONEOF, HandlerRegistry

# A CronJob's name is at most 52 characters: the controller appends "-<11 digits>" to name runs.
MAX_SCHEDULE_ID_LENGTH = 52
MAX_JOB_ID_LENGTH = 63
MAX_NAME_LENGTH = 253
MAX_USER_ANNOTATION_BYTES = 128 * 1024  # Kubernetes allows 256 KiB for all annotations
MAX_EXIT_CODES = 255
MAX_EXIT_CODE_RULES = 20  # Kubernetes' limit on podFailurePolicy rules
MAX_TIMEOUT_SECONDS = 366 * 86400
MAX_RETRIES = 1000
MAX_PARALLELISM = 10000
SYSTEM_PRIORITY_CLASS_PREFIX = "system-"

# Proto3 enums are open: anything outside these is a value this server cannot act on.
_EXIT_CODE_ACTIONS = frozenset(
    (pb.ExitCodeRule.ACTION_FAIL_JOB, pb.ExitCodeRule.ACTION_IGNORE, pb.ExitCodeRule.ACTION_COUNT)
)

Validator = Callable[[pb.ScheduleJobRequest, HandlerRegistry], list[FieldViolation]]


def validate_job_id(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    """The id becomes the Kubernetes object name and a label value."""
    if not req.job_id:
        return []  # the service generates one
    limit = MAX_SCHEDULE_ID_LENGTH if req.HasField("schedule") else MAX_JOB_ID_LENGTH
    problem = kubesyntax.dns_label(req.job_id, limit)
    return [FieldViolation("job_id", problem)] if problem else []


def validate_name(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    if len(req.name) > MAX_NAME_LENGTH:
        return [FieldViolation("name", f"must be at most {MAX_NAME_LENGTH} characters")]
    return []


def validate_created_by(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    if len(req.created_by) > MAX_NAME_LENGTH:
        return [FieldViolation("created_by", f"must be at most {MAX_NAME_LENGTH} characters")]
    return []


def validate_namespace(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    problem = kubesyntax.dns_label(req.namespace) if req.namespace else None
    return [FieldViolation("namespace", problem)] if problem else []


def validate_job_config(
    req: pb.ScheduleJobRequest, registry: HandlerRegistry
) -> list[FieldViolation]:
    """Exactly one job type, validated by its own handler."""
    case = req.WhichOneof(REQUEST_ONEOF)
    if case is None:
        cases = ", ".join(h.request_field for h in registry)
        return [FieldViolation(REQUEST_ONEOF, f"set one job type: {cases}")]
    handler = registry.by_request_field(case)
    if handler is None:
        return [FieldViolation(case, "this server has no handler for this job type")]
    return handler.validate(handler.config_of(req), case)


def validate_labels(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    violations = []
    for key in sorted(req.labels):
        field = f'labels["{key}"]'
        if problem := kubesyntax.qualified_name(key):
            violations.append(FieldViolation(field, f"key {problem}"))
        elif is_reserved_key(key):
            violations.append(FieldViolation(field, "key is reserved for jobscheduler/Kubernetes"))
        if problem := kubesyntax.label_value(req.labels[key]):
            violations.append(FieldViolation(field, f"value {problem}"))
    return violations


def validate_annotations(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    violations = []
    for key in sorted(req.annotations):
        field = f'annotations["{key}"]'
        if problem := kubesyntax.qualified_name(key):
            violations.append(FieldViolation(field, f"key {problem}"))
        elif is_reserved_key(key):
            violations.append(FieldViolation(field, "key is reserved for jobscheduler/Kubernetes"))
    size = sum(len(k) + len(v) for k, v in req.annotations.items())
    if size > MAX_USER_ANNOTATION_BYTES:
        violations.append(
            FieldViolation(
                "annotations",
                f"at most {MAX_USER_ANNOTATION_BYTES} bytes (128 KiB) in total, keys and values: "
                "half of the 256 KiB Kubernetes stores, the rest keeps the request for read-back",
            )
        )
    return violations


def pod_annotation_violations(
    annotations: Mapping[str, str], allowed_prefixes: tuple[str, ...]
) -> list[FieldViolation]:
    """Pod controls the operator has not allowed for pods (``POD_ANNOTATION_ALLOWED_PREFIXES``).
    Apart from the other validators: it depends on the server's settings, not the request only."""
    return [
        FieldViolation(f'annotations["{key}"]', problem)
        for key in sorted(annotations)
        if not is_reserved_key(key) and (problem := pod_annotation_problem(key, allowed_prefixes))
    ]


def validate_resources(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    violations = []
    parsed: dict[tuple[str, str], Decimal] = {}
    for group in ("requests", "limits"):
        resource_list = getattr(req.resources, group)
        for resource in ("cpu", "memory", "storage"):
            value = getattr(resource_list, resource)
            if not value:
                continue
            try:
                quantity = quantities.parse_quantity(value)
            except quantities.QuantityError as problem:
                violations.append(FieldViolation(f"resources.{group}.{resource}", str(problem)))
                continue
            if quantity <= 0:
                violations.append(FieldViolation(f"resources.{group}.{resource}", "must be > 0"))
            else:
                parsed[(group, resource)] = quantity
    for resource in ("cpu", "memory", "storage"):
        request, limit = parsed.get(("requests", resource)), parsed.get(("limits", resource))
        if request is not None and limit is not None and request > limit:
            violations.append(
                FieldViolation(f"resources.requests.{resource}", "must not exceed the limit")
            )
    return violations


def validate_execution(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    ex = req.execution
    violations = []

    def check(ok: bool, field: str, description: str) -> None:
        if not ok:
            violations.append(FieldViolation(f"execution.{field}", description))

    check(
        0 <= ex.timeout_seconds <= MAX_TIMEOUT_SECONDS,
        "timeout_seconds",
        f"must be between 0 (no timeout) and {MAX_TIMEOUT_SECONDS}",
    )
    if ex.HasField("max_retries"):
        check(
            0 <= ex.max_retries <= MAX_RETRIES,
            "max_retries",
            f"must be between 0 and {MAX_RETRIES}",
        )
    if ex.HasField("ttl_seconds_after_finished"):
        check(ex.ttl_seconds_after_finished >= 0, "ttl_seconds_after_finished", "must be >= 0")
    if ex.HasField("startup_deadline_seconds"):
        check(
            ex.startup_deadline_seconds >= 0,
            "startup_deadline_seconds",
            "must be 0 (no deadline) or a positive number of seconds",
        )
    if ex.priority_class_name and (problem := kubesyntax.dns_subdomain(ex.priority_class_name)):
        violations.append(FieldViolation("execution.priority_class_name", problem))
    # system-node-critical and system-cluster-critical preempt every workload on a node;
    # Kubernetes reserves the prefix for them, and a job submitted here must not use them.
    check(
        not ex.priority_class_name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX),
        "priority_class_name",
        f"must not start with {SYSTEM_PRIORITY_CLASS_PREFIX!r} (reserved for cluster components)",
    )
    check(
        0 <= ex.parallelism <= MAX_PARALLELISM,
        "parallelism",
        f"must be between 0 and {MAX_PARALLELISM}",
    )
    check(
        0 <= ex.completions <= MAX_PARALLELISM,
        "completions",
        f"must be between 0 and {MAX_PARALLELISM}",
    )
    check(
        not ex.indexed or ex.completions > 0, "completions", "must be set (> 0) for an indexed job"
    )
    check(
        len(ex.exit_code_rules) <= MAX_EXIT_CODE_RULES,
        "exit_code_rules",
        f"at most {MAX_EXIT_CODE_RULES} rules",
    )
    for index, rule in enumerate(ex.exit_code_rules):
        path = f"exit_code_rules[{index}]"
        check(
            rule.action in _EXIT_CODE_ACTIONS,
            f"{path}.action",
            "must be ACTION_FAIL_JOB, ACTION_IGNORE or ACTION_COUNT",
        )
        codes = list(rule.exit_codes)
        check(
            0 < len(codes) <= MAX_EXIT_CODES,
            f"{path}.exit_codes",
            f"must list 1..{MAX_EXIT_CODES} exit codes",
        )
        check(0 not in codes, f"{path}.exit_codes", "must not contain 0 (success)")
        check(
            all(-(2**31) <= code < 2**31 for code in codes),
            f"{path}.exit_codes",
            "must be 32-bit integers",
        )
        check(len(set(codes)) == len(codes), f"{path}.exit_codes", "must not repeat a code")
    return violations


def validate_schedule(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    if not req.HasField("schedule"):
        return []
    schedule = req.schedule
    violations = []
    if not schedule.cron:
        violations.append(FieldViolation("schedule.cron", "is required for a schedule"))
    elif problem := kubesyntax.cron_problem(schedule.cron):
        violations.append(FieldViolation("schedule.cron", problem))
    if schedule.concurrency_policy not in pb.ConcurrencyPolicy.values():
        violations.append(
            FieldViolation("schedule.concurrency_policy", "must be ALLOW, FORBID or REPLACE")
        )
    if schedule.time_zone and timeparse.load_time_zone(schedule.time_zone) is None:
        violations.append(
            FieldViolation("schedule.time_zone", "must be an IANA time zone such as Europe/Paris")
        )
    if schedule.HasField("starting_deadline_seconds") and schedule.starting_deadline_seconds < 0:
        violations.append(FieldViolation("schedule.starting_deadline_seconds", "must be >= 0"))
    for field in ("successful_runs_history_limit", "failed_runs_history_limit"):
        if schedule.HasField(field) and getattr(schedule, field) < 0:
            violations.append(FieldViolation(f"schedule.{field}", "must be >= 0"))
    if req.HasField("start_at"):
        violations.append(
            FieldViolation("start_at", "cannot be combined with a schedule (runs follow the cron)")
        )
    return violations


def validate_start_at(req: pb.ScheduleJobRequest, _: HandlerRegistry) -> list[FieldViolation]:
    """A delayed job starts by itself; one that starts suspended waits for ResumeJob."""
    if not req.HasField("start_at"):
        return []
    if timeparse.start_second(req.start_at.seconds, req.start_at.nanos) is None:
        return [FieldViolation("start_at", "must be a time between 1970 and 9999")]
    if req.execution.start_suspended:
        return [FieldViolation("start_at", "cannot be combined with execution.start_suspended")]
    return []
