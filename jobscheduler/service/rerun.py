"""RerunJob: a new job from the request an existing job (or schedule) was made from.

Kubernetes is the only store, so the request is rebuilt from what the build wrote on the
object for read-back: the job type's config, name, created_by and execution options in
annotations, the user's labels and annotations, the container's resources. The rebuilt request
then goes through ScheduleJob's own path (validate, build, create), so a rerun is exactly a job
the caller could have scheduled; the new job also carries ``RERUN_OF_LABEL``. A rerun starts
now: a delayed start, "create suspended" and a schedule's cron are not carried over (rerunning a
schedule makes one run of it, as ``kubectl create job --from=cronjob/…`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import json_format

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.jobtypes.base import CONFIG_ANNOTATION, pod_container, stored_config
from jobscheduler.jobtypes.metadata import (
    CREATED_BY_ANNOTATION,
    EXECUTION_ANNOTATION,
    JOB_TYPE_LABEL,
    NAME_ANNOTATION,
    RERUN_OF_LABEL,
    user_items,
)
from jobscheduler.kube import JobReader
from jobscheduler.kubesyntax import dns_label
from jobscheduler.service.kinds import read_job_or_schedule
from jobscheduler.service.requests import job_address

JSON = dict[str, Any]
# ScheduleJob's path, with the label that links the new job to the one it reran.
Scheduler = Callable[[pb.ScheduleJobRequest, str], pb.ScheduleJobResponse]

# Manifest resource names -> ResourceList fields.
_RESOURCE_FIELDS = {"cpu": "cpu", "memory": "memory", "ephemeral-storage": "storage"}


def rerun_job(
    reader: JobReader,
    registry: HandlerRegistry,
    settings: Settings,
    schedule: Scheduler,
    req: pb.RerunJobRequest,
) -> pb.RerunJobResponse:
    namespace, name = job_address(req.job_id, req.namespace, settings)
    if req.new_job_id and (problem := dns_label(req.new_job_id)):
        raise InvalidArgument([FieldViolation("new_job_id", problem)])
    if req.new_job_id == name:
        raise InvalidArgument([FieldViolation("new_job_id", "must differ from job_id")])
    _, original = read_job_or_schedule(reader, namespace, name)
    request = stored_request(original, registry)
    request.job_id = req.new_job_id
    request.namespace = namespace
    if caller := requestctx.caller.get():
        request.created_by = caller  # with authentication: who reran it, as for ScheduleJob
    _check_as_scheduled(request, name)
    created = schedule(request, name)
    return pb.RerunJobResponse(
        job_id=created.job_id,
        status=created.status,
        message=f"reran {name}",
        job_info=created.job_info,
        rerun_of=name,
    )


def _check_as_scheduled(request: pb.ScheduleJobRequest, original: str) -> None:
    """The access checks a direct ScheduleJob of ``request`` would meet (the image allowlist
    as it is now, not as it was when the original ran): a rerun is no way around them."""
    check = requestctx.check_resolved_request.get()
    violations = check(request) if check is not None else []
    if violations:
        raise InvalidArgument(
            [
                FieldViolation(v.field, f"{v.description} (in the request of job {original!r})")
                for v in violations
            ]
        )


def stored_request(obj: JSON, registry: HandlerRegistry) -> pb.ScheduleJobRequest:
    """The ScheduleJobRequest ``obj`` was built from, as far as it matters for a new run."""
    metadata = obj.get("metadata") or {}
    labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    job_id = metadata.get("name", "")
    handler = registry.by_name(labels.get(JOB_TYPE_LABEL, ""))
    if handler is None or CONFIG_ANNOTATION not in annotations:
        raise errors.FailedPrecondition(
            f"job {job_id!r} has no stored request of a job type this server runs; "
            "schedule a new job instead"
        )
    request = pb.ScheduleJobRequest(
        name=annotations.get(NAME_ANNOTATION, ""),
        created_by=annotations.get(CREATED_BY_ANNOTATION, ""),
        labels=user_items(labels),
        annotations=user_items(annotations),
    )
    handler.config_of(request).CopyFrom(stored_config(obj, handler.config_message))
    handler.config_of(request).SetInParent()  # an all-defaults config still names the type
    if raw_execution := annotations.get(EXECUTION_ANNOTATION):
        try:
            json_format.Parse(raw_execution, request.execution, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError):
            request.ClearField("execution")
    request.execution.start_suspended = False  # a rerun runs now
    if not request.execution.ByteSize():
        request.ClearField("execution")
    _copy_resources(pod_container(obj).get("resources") or {}, request.resources)
    return request


def _copy_resources(resources: JSON, into: pb.ResourceRequirements) -> None:
    """The container's requests and limits as built (the server's defaults included), so the
    rerun gets the same resources even if the defaults changed since."""
    for section, target in (("requests", into.requests), ("limits", into.limits)):
        for resource, value in (resources.get(section) or {}).items():
            if field := _RESOURCE_FIELDS.get(resource):
                setattr(target, field, str(value))


def link_to_original(manifest: JSON, original_id: str) -> None:
    """Label the new job (and its pods) with the job it reran: `kubectl get jobs -l
    jobscheduler.io/rerun-of=ID`, ``JobInfo.rerun_of``."""
    manifest.setdefault("metadata", {}).setdefault("labels", {})[RERUN_OF_LABEL] = original_id
    template = (manifest.get("spec") or {}).get("template") or {}
    template.setdefault("metadata", {}).setdefault("labels", {})[RERUN_OF_LABEL] = original_id
