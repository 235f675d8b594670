"""What differs between a one-off job (a Kubernetes Job) and a schedule (a CronJob).

Jobs and schedules share one id space and one set of RPCs; this adapter is the only place
that knows which Kubernetes kind backs which, so the rest of the service reads
validate -> build -> submit -> read back without asking "is it a CronJob?".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.jobtypes.metadata import MANAGED_BY_LABEL, MANAGED_BY_VALUE
from jobscheduler.kube import CRONJOBS, JOBS, JobReader, Resource
from jobscheduler.service.jobinfo import job_info_from_cronjob, job_info_from_job
from jobscheduler.service.status import State, cronjob_state, job_state

JSON = dict[str, Any]
InfoReader = Callable[[JSON, HandlerRegistry, "list[JSON] | None"], pb.JobInfo]


@dataclass(frozen=True)
class Kind:
    resource: Resource
    noun: str  # how messages name it: "job", "schedule"
    created_message: str  # ScheduleJob's message for a new one
    deleted_message: str  # DeleteJob's message
    state: Callable[[JSON], State]
    info: InfoReader  # JobInfo; the pods only where they can explain a wait
    # States ResumeJob starts from: a delayed job (SCHEDULED) starts now; an active
    # schedule (SCHEDULED too) already runs.
    resumable: frozenset[int]
    # Whether it starts runs of its own: cancelling it must stop those too, since
    # suspending a CronJob only stops future ones.
    has_runs: bool
    # Whether its pods can explain a wait (image pulls, scheduling): GetJobStatus reads
    # them then. A schedule's runs have pods; the schedule itself never waits on them.
    pods_explain_waits: bool
    # Why WatchJob / GetJobLogs refuse it ("" when they do not); formatted with ``name``.
    watch_refusal: str
    logs_refusal: str
    run_spec: Callable[[JSON], JSON]  # the Job spec its runs get (ttlSecondsAfterFinished)

    def refuse(self, refusal: str, name: str) -> None:
        if refusal:
            raise errors.FailedPrecondition(refusal.format(name=name))


def _spec(obj: JSON) -> JSON:
    spec: JSON = obj.get("spec") or {}
    return spec


def _template_spec(obj: JSON) -> JSON:
    template: JSON = _spec(obj).get("jobTemplate") or {}
    spec: JSON = template.get("spec") or {}
    return spec


def _schedule_info(obj: JSON, registry: HandlerRegistry, pods: list[JSON] | None) -> pb.JobInfo:
    return job_info_from_cronjob(obj, registry)


JOB = Kind(
    resource=JOBS,
    noun="job",
    created_message="job scheduled",
    deleted_message="job and its pods deleted",
    state=job_state,
    info=job_info_from_job,
    resumable=frozenset({pb.JOB_STATUS_SUSPENDED, pb.JOB_STATUS_SCHEDULED}),
    has_runs=False,
    pods_explain_waits=True,
    watch_refusal="",
    logs_refusal="",
    run_spec=_spec,
)

SCHEDULE = Kind(
    resource=CRONJOBS,
    noun="schedule",
    created_message="schedule created",
    deleted_message="schedule and its runs deleted",
    state=cronjob_state,
    info=_schedule_info,
    resumable=frozenset({pb.JOB_STATUS_SUSPENDED}),
    has_runs=True,
    pods_explain_waits=False,
    watch_refusal="{name!r} is a schedule; watch its runs with WatchJobs(schedule_id={name!r})",
    logs_refusal="{name!r} is a schedule; read the logs of one of its runs",
    run_spec=_template_spec,
)

# In the order an id is looked up: most ids are jobs.
KINDS = (JOB, SCHEDULE)


def kind_of_manifest(manifest: JSON) -> Kind:
    for kind in KINDS:
        if manifest.get("kind") == kind.resource.kind:
            return kind
    raise errors.Internal(f"a job type built an unexpected kind {manifest.get('kind')!r}")


def _managed(obj: JSON) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE)


def read_job_or_schedule(reader: JobReader, namespace: str, name: str) -> tuple[Kind, JSON]:
    """The job or schedule with this id. Objects this service does not manage are reported
    as not found."""
    hidden = requestctx.hidden_resources.get()
    for kind in KINDS:
        if kind.resource.plural in hidden:
            continue  # the caller may not act on this kind (edge authorization)
        try:
            obj = reader.get(kind.resource, namespace, name)
        except errors.NotFound:
            continue
        if _managed(obj):
            return kind, obj
    raise errors.NotFound(f"job {name!r} not found in namespace {namespace!r}")
