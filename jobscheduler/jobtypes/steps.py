"""The steps of the common manifest builder, each saying why it exists.

The handler builds the container; every other part of the Job (or CronJob) comes from one of
these small functions. ``fieldtable.FIELD_TABLE`` says which request field each step reads and
which manifest paths it writes, and runs them in its order. Requests have no way to set privileged
fields, host namespaces, host volumes, service accounts or node placement: the API does not
offer them and nothing here writes them (tests check every manifest for their absence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler import quantities, timeparse
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes.base import (
    CONFIG_ANNOTATION,
    JSON,
    BuildContext,
    JobTypeHandler,
    config_to_annotation,
)
from jobscheduler.jobtypes.metadata import (
    CREATED_BY_ANNOTATION,
    EXECUTION_ANNOTATION,
    JOB_ID_LABEL,
    JOB_TYPE_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAME_ANNOTATION,
    NAME_LABEL,
    SCHEDULE_ANNOTATION,
    SCHEDULE_ID_LABEL,
    START_AT_ANNOTATION,
    START_AT_LABEL,
    STARTUP_DEADLINE_LABEL,
    name_label_value,
)
from jobscheduler.jobtypes.metadata import (
    pod_annotations as user_pod_annotations,
)

# Numeric, so the kubelet can check runAsNonRoot without inspecting the image (65532 is the
# conventional "nonroot" user of distroless images).
RUN_AS_USER = 65532

_EXIT_CODE_ACTIONS = {
    pb.ExitCodeRule.ACTION_FAIL_JOB: "FailJob",
    pb.ExitCodeRule.ACTION_IGNORE: "Ignore",
    pb.ExitCodeRule.ACTION_COUNT: "Count",
}
_CONCURRENCY_POLICIES = {
    pb.CONCURRENCY_POLICY_UNSPECIFIED: "Forbid",
    pb.CONCURRENCY_POLICY_ALLOW: "Allow",
    pb.CONCURRENCY_POLICY_FORBID: "Forbid",
    pb.CONCURRENCY_POLICY_REPLACE: "Replace",
}


@dataclass
class Draft:
    """The manifest under construction, shared by the steps."""

    req: pb.ScheduleJobRequest
    handler: JobTypeHandler
    config: Message
    ctx: BuildContext
    request_hash: str
    container: JSON
    cron_spec: JSON = field(default_factory=dict)
    pod_spec: JSON = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)
    pod_annotations: dict[str, str] = field(default_factory=dict)
    job_spec: JSON = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def is_schedule(self) -> bool:
        return self.req.HasField("schedule")


# ---- pod template ----------------------------------------------------------------------------


def restart_never(d: Draft) -> None:
    """A failed pod must count as an attempt (backoffLimit, podFailurePolicy need Never)."""
    d.pod_spec["restartPolicy"] = "Never"


def container_named_after_type(d: Draft) -> None:
    """`kubectl logs -c timer`, `kubectl describe` and metrics name the job type, not "job"."""
    d.container["name"] = d.handler.name


def restricted_pod_security(d: Draft) -> None:
    """Pass Pod Security "restricted": no root, no privilege escalation, no capabilities."""
    d.pod_spec["securityContext"] = {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    d.container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
    }


def read_only_root_filesystem(d: Draft) -> None:
    """Job types that only write /tmp get a read-only root and a small scratch /tmp."""
    if not d.handler.read_only_root_filesystem:
        return
    d.container["securityContext"]["readOnlyRootFilesystem"] = True
    d.container["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    d.pod_spec["volumes"] = [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


def no_service_account_token(d: Draft) -> None:
    """Jobs do not call the Kubernetes API; a mounted token would only be a credential to steal."""
    d.pod_spec["automountServiceAccountToken"] = False


def no_service_links(d: Draft) -> None:
    """Service env vars leak the namespace's topology and can clash with the job's own env."""
    d.pod_spec["enableServiceLinks"] = False


def default_resources(d: Draft) -> None:
    """The scheduler places pods by their requests; unset values come from the server config."""
    requested, limited = d.req.resources.requests, d.req.resources.limits
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    for resource, default_request, default_limit in (
        ("cpu", d.settings.default_cpu_request, d.settings.default_cpu_limit),
        ("memory", d.settings.default_memory_request, d.settings.default_memory_limit),
    ):
        request, limit = _request_and_limit(
            getattr(requested, resource), getattr(limited, resource), default_request, default_limit
        )
        requests[resource] = request
        if limit:
            limits[resource] = limit
    if requested.storage:
        requests["ephemeral-storage"] = requested.storage
    if limited.storage:
        limits["ephemeral-storage"] = limited.storage
    resources: JSON = {"requests": requests}
    if limits:
        resources["limits"] = limits
    d.container["resources"] = resources


def _request_and_limit(
    request: str, limit: str, default_request: str, default_limit: str | None
) -> tuple[str, str | None]:
    """A server default never contradicts what the user chose: Kubernetes refuses a request
    above its limit, so a default request yields to a smaller user limit (as Kubernetes itself
    defaults a missing request to the limit) and a default limit to a larger user request."""
    if request and limit:
        return request, limit  # validation checked request <= limit
    if limit:
        if _quantity(default_request) > _quantity(limit):
            return limit, limit
        return default_request, limit
    if request and default_limit and _quantity(request) > _quantity(default_limit):
        return request, request
    return request or default_request, default_limit


def _quantity(value: str) -> Decimal:
    try:
        return quantities.parse_quantity(value)
    except quantities.QuantityError:
        return Decimal(0)  # only for comparisons; validation refused bad request values


def priority_class(d: Draft) -> None:
    """Lets platform teams rank batch work against services (preemption, scheduling order)."""
    if d.req.execution.priority_class_name:
        d.pod_spec["priorityClassName"] = d.req.execution.priority_class_name


def pod_annotations(d: Draft) -> None:
    """Only the annotations the operator allows reach the pods: that is where sidecar and
    secret injectors, scrapers and the embedded cluster's simulation controls read them."""
    d.pod_annotations.update(
        user_pod_annotations(d.req.annotations, d.settings.pod_annotation_allowed_prefixes)
    )


def pod_labels(d: Draft) -> None:
    """Pods carry the job's identity, so they can be found (logs) and policed (NetworkPolicy)."""
    d.pod_labels.update(d.req.labels)
    d.pod_labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    d.pod_labels[JOB_TYPE_LABEL] = d.handler.name
    if name := name_label_value(d.req.name):
        d.pod_labels[NAME_LABEL] = name
    # A schedule's runs each get their own Job name; the pods name the schedule instead.
    d.pod_labels[SCHEDULE_ID_LABEL if d.is_schedule else JOB_ID_LABEL] = d.ctx.job_id


# ---- job spec ----------------------------------------------------------------------------


def backoff_limit(d: Draft) -> None:
    """Retries are explicit: the request's max_retries, else the server default."""
    ex = d.req.execution
    d.job_spec["backoffLimit"] = (
        ex.max_retries if ex.HasField("max_retries") else d.settings.default_backoff_limit
    )


def active_deadline(d: Draft) -> None:
    """A timeout stops runaway work; job types with a natural duration imply one."""
    if d.req.execution.timeout_seconds > 0:
        d.job_spec["activeDeadlineSeconds"] = d.req.execution.timeout_seconds
    elif (deadline := d.handler.default_active_deadline_seconds(d.config, d.settings)) is not None:
        d.job_spec["activeDeadlineSeconds"] = deadline


def pod_failure_policy(d: Draft) -> None:
    """Exit-code rules let a job fail fast on a fatal code, or retry a transient one for free."""
    rules = []
    for rule in d.req.execution.exit_code_rules:
        rules.append(
            {
                "action": _EXIT_CODE_ACTIONS[rule.action],
                "onExitCodes": {
                    "containerName": d.container["name"],
                    "operator": "In",
                    "values": sorted(set(rule.exit_codes)),  # Kubernetes requires sorted values
                },
            }
        )
    if rules:
        d.job_spec["podFailurePolicy"] = {"rules": rules}


def ttl_after_finished(d: Draft) -> None:
    """Finished jobs are deleted after a while, or they pile up in etcd forever."""
    ex = d.req.execution
    d.job_spec["ttlSecondsAfterFinished"] = (
        ex.ttl_seconds_after_finished
        if ex.HasField("ttl_seconds_after_finished")
        else d.settings.job_ttl_seconds
    )


def parallelism_and_completions(d: Draft) -> None:
    """Batch work: several pods at once, N successes needed, optionally one index per pod."""
    ex = d.req.execution
    if ex.parallelism:
        d.job_spec["parallelism"] = ex.parallelism
    if ex.completions:
        d.job_spec["completions"] = ex.completions
    if ex.indexed:
        d.job_spec["completionMode"] = "Indexed"


def suspension(d: Draft) -> None:
    """start_suspended waits for ResumeJob; start_at and depends_on wait (suspended) for the
    release sweep."""
    if d.is_schedule:
        return  # a suspended schedule is the CronJob's suspend, not its jobs'
    if d.req.execution.start_suspended or d.req.HasField("start_at") or d.req.depends_on:
        d.job_spec["suspend"] = True


# ---- object metadata -----------------------------------------------------------------------


def identity_labels(d: Draft) -> None:
    """Labels make the service's objects listable by owner, id, type and schedule."""
    d.labels.update(d.req.labels)
    d.labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    d.labels[JOB_TYPE_LABEL] = d.handler.name
    d.labels[JOB_ID_LABEL] = d.ctx.job_id
    if name := name_label_value(d.req.name):
        d.labels[NAME_LABEL] = name
    if d.is_schedule:
        d.labels[SCHEDULE_ID_LABEL] = d.ctx.job_id


def startup_deadline(d: Draft) -> None:
    """Pods that cannot pull their image or be scheduled would wait forever; the sweep ends the
    Job past this many seconds (the request's, else the operator default; 0: never). A label,
    so the sweep can select such Jobs; a schedule's runs carry it from the job template."""
    ex = d.req.execution
    seconds = (
        ex.startup_deadline_seconds
        if ex.HasField("startup_deadline_seconds")
        else d.settings.default_startup_deadline_seconds
    )
    if seconds > 0:
        d.labels[STARTUP_DEADLINE_LABEL] = str(seconds)


def read_back_annotations(d: Draft) -> None:
    """Kubernetes is the only store: what GetJobStatus shows must live on the object."""
    d.annotations.update(d.req.annotations)
    d.annotations[CONFIG_ANNOTATION] = config_to_annotation(d.config)
    if d.req.name:
        d.annotations[NAME_ANNOTATION] = d.req.name
    if d.req.created_by:
        d.annotations[CREATED_BY_ANNOTATION] = d.req.created_by
    if d.req.HasField("execution"):
        d.annotations[EXECUTION_ANNOTATION] = _message_json(d.req.execution)
    if d.is_schedule:
        d.annotations[SCHEDULE_ANNOTATION] = _message_json(d.req.schedule)


def delayed_start(d: Draft) -> None:
    """The release loop finds waiting jobs by label and reads the exact time from the annotation."""
    if d.req.HasField("start_at"):
        seconds = timeparse.start_second(d.req.start_at.seconds, d.req.start_at.nanos)
        assert seconds is not None  # validated
        d.labels[START_AT_LABEL] = str(seconds)
        d.annotations[START_AT_ANNOTATION] = format_time(datetime.fromtimestamp(seconds, UTC))


# ---- CronJob spec ---------------------------------------------------------------------------


def cron_schedule(d: Draft) -> None:
    """When runs start; Forbid by default, so a slow run is not overlapped by the next."""
    if not d.is_schedule:
        return
    schedule = d.req.schedule
    d.cron_spec["schedule"] = schedule.cron
    d.cron_spec["concurrencyPolicy"] = _CONCURRENCY_POLICIES[schedule.concurrency_policy]
    if schedule.time_zone:
        d.cron_spec["timeZone"] = schedule.time_zone
    if schedule.HasField("starting_deadline_seconds"):
        d.cron_spec["startingDeadlineSeconds"] = schedule.starting_deadline_seconds


def run_history(d: Draft) -> None:
    """Finished runs kept for inspection; Kubernetes deletes older ones."""
    if not d.is_schedule:
        return
    schedule = d.req.schedule
    if schedule.HasField("successful_runs_history_limit"):
        d.cron_spec["successfulJobsHistoryLimit"] = schedule.successful_runs_history_limit
    if schedule.HasField("failed_runs_history_limit"):
        d.cron_spec["failedJobsHistoryLimit"] = schedule.failed_runs_history_limit


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with whole seconds, the format Kubernetes uses for its own times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message_json(message: Message) -> str:
    as_dict = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return json.dumps(as_dict, sort_keys=True, separators=(",", ":"))
