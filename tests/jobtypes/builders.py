"""Minimal valid requests with fluent overrides, so each test reads like what it checks."""

from __future__ import annotations

from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes import BuildContext, build_registry
from jobscheduler.jobtypes.base import JSON
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.registry import REQUEST_ONEOF

REGISTRY = build_registry()


def timer_request(**fields: Any) -> pb.ScheduleJobRequest:
    config = {"duration_seconds": 300, "timer_name": "build-timeout"} | fields.pop("timer", {})
    return pb.ScheduleJobRequest(name="my-timer", timer_job=pb.TimerJobConfig(**config), **fields)


def container_request(**fields: Any) -> pb.ScheduleJobRequest:
    config = {"image": "busybox:1.36", "command": ["sh", "-c"], "args": ["echo hi"]} | fields.pop(
        "container", {}
    )
    return pb.ScheduleJobRequest(
        name="my-container", container_job=pb.ContainerJobConfig(**config), **fields
    )


def manifest_for(
    req: pb.ScheduleJobRequest,
    *,
    job_id: str = "job-test1",
    namespace: str = "default",
    settings: Settings | None = None,
) -> JSON:
    case = req.WhichOneof(REQUEST_ONEOF)
    assert case is not None
    handler = REGISTRY.by_request_field(case)
    assert handler is not None
    ctx = BuildContext(job_id=job_id, namespace=namespace, settings=settings or Settings())
    return build_manifest(req, handler, ctx, request_hash="hash")


def pod_spec(manifest: JSON) -> JSON:
    spec = manifest["spec"]
    if manifest["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: JSON = spec["template"]["spec"]
    return result


def container(manifest: JSON) -> JSON:
    result: JSON = pod_spec(manifest)["containers"][0]
    return result
