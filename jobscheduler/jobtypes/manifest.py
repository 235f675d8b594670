"""The common manifest builder: every job type's container becomes a Job (or a CronJob).

The handler builds the container; the steps of ``fieldtable.FIELD_TABLE`` (defined in
``steps``) add everything else, in the table's order. Requests have no way to set privileged
fields, host namespaces, host volumes, service accounts or node placement: the API does not
offer them and nothing here writes them (tests check every manifest for their absence).
"""

from __future__ import annotations

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.base import JSON, BuildContext, JobTypeHandler
from jobscheduler.jobtypes.fieldtable import BUILD_STEPS
from jobscheduler.jobtypes.metadata import JOB_ID_LABEL, REQUEST_HASH_ANNOTATION
from jobscheduler.jobtypes.steps import Draft, format_time

__all__ = ["build_manifest", "format_time"]


def build_manifest(
    req: pb.ScheduleJobRequest,
    handler: JobTypeHandler,
    ctx: BuildContext,
    *,
    request_hash: str,
) -> JSON:
    """The batch/v1 Job (or CronJob, for a request with a schedule) for a validated request."""
    config = handler.config_of(req)
    draft = Draft(
        req=req,
        handler=handler,
        config=config,
        ctx=ctx,
        request_hash=request_hash,
        container=handler.build_container(config, ctx),
    )
    for step in BUILD_STEPS:
        step(draft)
    draft.pod_spec["containers"] = [draft.container]
    template_metadata: JSON = {"labels": draft.pod_labels}
    if draft.pod_annotations:
        template_metadata["annotations"] = draft.pod_annotations
    draft.job_spec["template"] = {"metadata": template_metadata, "spec": draft.pod_spec}
    if draft.is_schedule:
        return _cronjob(draft)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": ctx.job_id,
            "namespace": ctx.namespace,
            "labels": draft.labels,
            "annotations": {**draft.annotations, REQUEST_HASH_ANNOTATION: request_hash},
        },
        "spec": draft.job_spec,
    }


def _cronjob(d: Draft) -> JSON:
    run_labels = {k: v for k, v in d.labels.items() if k != JOB_ID_LABEL}
    spec: JSON = {
        **d.cron_spec,
        # A suspended schedule is the CronJob's suspend, not its jobs'.
        "suspend": d.req.execution.start_suspended,
        "jobTemplate": {
            "metadata": {"labels": run_labels, "annotations": dict(d.annotations)},
            "spec": d.job_spec,
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": d.ctx.job_id,
            "namespace": d.ctx.namespace,
            "labels": d.labels,
            "annotations": {**d.annotations, REQUEST_HASH_ANNOTATION: d.request_hash},
        },
        "spec": spec,
    }
