"""JobService: the transport-free implementation of every JobScheduler RPC.

validate -> build (job-type handler) -> submit (gateway) -> read back. Kubernetes is the only
store: every answer is read from (or returned by) the API server.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message

from jobscheduler import errors, metrics, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.clock import Clock, SystemClock
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import BuildContext, HandlerRegistry, build_registry
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.metadata import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    POD_JOB_NAME_LABEL,
    REQUEST_HASH_ANNOTATION,
)
from jobscheduler.jobtypes.registry import REQUEST_ONEOF
from jobscheduler.jobtypes.validation import validate_request
from jobscheduler.kube import JobReader, KubeGateway
from jobscheduler.service import lifecycle, listing, startup
from jobscheduler.service.ids import JobIdGenerator
from jobscheduler.service.jobinfo import job_info_from_cronjob, job_info_from_job
from jobscheduler.service.logs import LogStreamer
from jobscheduler.service.manifestpaths import manifest_violations
from jobscheduler.service.release import BackgroundSweeper
from jobscheduler.service.requests import (
    annotation_size_violations,
    job_address,
    job_type_violations,
    managed_selector,
    namespace_violations,
    schedule_id_violations,
    selector_violations,
    status_filter_violations,
)
from jobscheduler.service.status import job_state
from jobscheduler.service.watching import JobWatcher

if TYPE_CHECKING:
    import kubernetes.client

JSON = dict[str, Any]
# How long a kubernetes_reachable() answer is reused: health probes come in bursts.
REACHABILITY_CACHE_SECONDS = 5.0
_REACHABILITY_TIMEOUT_SECONDS = 2.0
_POD_STATES = (pb.JOB_STATUS_PENDING, pb.JOB_STATUS_RUNNING)
# Pods GetJobStatus reads to explain a wait: a wide batch job may have thousands, and a stuck
# image pull or an unschedulable pod shows on any of them.
STATUS_POD_SAMPLE = 20


def is_managed(obj: JSON) -> bool:
    return (obj.get("metadata", {}).get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE


class JobService:
    def __init__(
        self,
        settings: Settings,
        gateway: KubeGateway,
        *,
        registry: HandlerRegistry | None = None,
        reader: JobReader | None = None,
        clock: Clock | None = None,
        id_generator: Callable[[datetime], str] | None = None,
        sweep_interval_seconds: float = 2.0,
        watch_poll_seconds: int = 5,
    ) -> None:
        self._settings = settings
        self._gateway = gateway
        self._registry = registry or build_registry()
        self._registry.check_against_proto()
        self._reader: JobReader = reader or gateway
        self._clock = clock or SystemClock()
        self._new_id = id_generator or JobIdGenerator()
        self._watcher = JobWatcher(gateway, self._registry, poll_seconds=watch_poll_seconds)
        self._logs = LogStreamer(gateway, settings)
        self._sweeper = BackgroundSweeper(
            gateway, self._clock, settings.k8s_namespace, interval_seconds=sweep_interval_seconds
        )
        self._reachable_lock = threading.Lock()
        self._reachable: tuple[float, bool] | None = None

    @property
    def registry(self) -> HandlerRegistry:
        return self._registry

    # ---- ScheduleJob --------------------------------------------------------------------

    def schedule_job(self, req: pb.ScheduleJobRequest) -> pb.ScheduleJobResponse:
        violations = validate_request(req, self._registry) + startup.violations(req)
        if violations:
            raise InvalidArgument(violations)
        handler = self._registry.by_request_field(req.WhichOneof(REQUEST_ONEOF) or "")
        assert handler is not None  # validated above
        namespace = req.namespace or self._settings.k8s_namespace
        client_chose_id = bool(req.job_id)
        job_id = req.job_id or self._new_id(self._clock.now())
        request_hash = _request_hash(req, namespace)
        ctx = BuildContext(job_id=job_id, namespace=namespace, settings=self._settings)
        manifest = build_manifest(req, handler, ctx, request_hash=request_hash)
        startup.record_deadline(manifest, startup.deadline_seconds(req, self._settings))
        if violations := annotation_size_violations(manifest, handler.request_field):
            raise InvalidArgument(violations)
        is_schedule = manifest["kind"] == "CronJob"
        if client_chose_id:
            # Jobs and schedules share one id space: GetJobStatus must find exactly one.
            self._refuse_id_taken_by_other_kind(namespace, job_id, is_schedule)
        try:
            if is_schedule:
                created = self._gateway.create_cronjob(namespace, manifest)
            else:
                created = self._gateway.create_job(namespace, manifest)
            message = "schedule created" if is_schedule else "job scheduled"
            metrics.JOBS_SCHEDULED.labels(job_type=handler.name).inc()
        except errors.AlreadyExists:
            created = self._existing_same_request(namespace, job_id, is_schedule, request_hash)
            message = "already scheduled by an identical request"
        except InvalidArgument as exc:
            raise manifest_violations(exc, handler.request_field) from exc
        except errors.NotFound:
            # Creating in a namespace that does not exist is the only 404 a create can get.
            raise errors.NotFound(f"namespace {namespace!r} not found") from None
        info = (
            job_info_from_cronjob(created, self._registry)
            if is_schedule
            else job_info_from_job(created, self._registry)
        )
        return pb.ScheduleJobResponse(
            job_id=job_id,
            status=info.status,
            message=message,
            k8s_job_name=job_id,
            job_info=info,
        )

    def _existing_same_request(
        self, namespace: str, job_id: str, is_schedule: bool, request_hash: str
    ) -> JSON:
        get = self._reader.get_cronjob if is_schedule else self._reader.get_job
        try:
            existing = get(namespace, job_id)
        except errors.NotFound:
            # Deleted between our create and this read: the caller may simply retry.
            raise errors.Conflict(f"job {job_id!r} changed concurrently; retry") from None
        annotations = existing.get("metadata", {}).get("annotations") or {}
        if annotations.get(REQUEST_HASH_ANNOTATION) != request_hash:
            raise errors.AlreadyExists(
                f"job {job_id!r} already exists in namespace {namespace!r} with a different request"
            )
        return existing

    def _refuse_id_taken_by_other_kind(
        self, namespace: str, job_id: str, is_schedule: bool
    ) -> None:
        get = self._reader.get_job if is_schedule else self._reader.get_cronjob
        try:
            get(namespace, job_id)
        except errors.NotFound:
            return
        kind = "job" if is_schedule else "schedule"
        raise errors.AlreadyExists(
            f"a {kind} with id {job_id!r} already exists in namespace {namespace!r}"
        )

    # ---- reads --------------------------------------------------------------------------

    def get_job_status(self, req: pb.GetJobStatusRequest) -> pb.GetJobStatusResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        info = self._read_info(namespace, name, with_pods=True)
        return pb.GetJobStatusResponse(
            job_id=info.job_id, job_info=info, status=info.status, message=info.message
        )

    def _read_info(self, namespace: str, name: str, *, with_pods: bool = False) -> pb.JobInfo:
        kind, obj = lifecycle.read_job_or_schedule(self._reader, namespace, name)
        if kind == "CronJob":
            return self._info(kind, obj)
        pods = None
        # Pods are read only when they can explain a wait (image pulls, scheduling): one LIST.
        if with_pods and job_state(obj).status in _POD_STATES:
            selector = f"{POD_JOB_NAME_LABEL}={name}"
            page = self._gateway.list_pods(
                namespace, label_selector=selector, limit=STATUS_POD_SAMPLE
            )
            pods = page.get("items") or []
        return job_info_from_job(obj, self._registry, pods)

    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        return listing.list_jobs(self._gateway, self._registry, self._settings, req)

    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse:
        return listing.list_schedules(self._gateway, self._registry, self._settings, req)

    def list_job_types(self, req: pb.ListJobTypesRequest) -> pb.ListJobTypesResponse:
        return pb.ListJobTypesResponse(
            job_types=[lifecycle.job_type_info(h, self._settings) for h in self._registry]
        )

    # ---- changes ------------------------------------------------------------------------

    def cancel_job(self, req: pb.CancelJobRequest) -> pb.CancelJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        now = self._clock.now()
        kind, obj, message = lifecycle.cancel(self._gateway, self._reader, namespace, name, now)
        return pb.CancelJobResponse(success=True, message=message, job_info=self._info(kind, obj))

    def suspend_job(self, req: pb.SuspendJobRequest) -> pb.SuspendJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.suspend(self._gateway, self._reader, namespace, name)
        return pb.SuspendJobResponse(job_info=self._info(kind, obj))

    def resume_job(self, req: pb.ResumeJobRequest) -> pb.ResumeJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.resume(self._gateway, self._reader, namespace, name)
        return pb.ResumeJobResponse(job_info=self._info(kind, obj))

    def delete_job(self, req: pb.DeleteJobRequest) -> pb.DeleteJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind = lifecycle.delete(self._gateway, self._reader, namespace, name)
        what = "schedule and its runs" if kind == "CronJob" else "job and its pods"
        return pb.DeleteJobResponse(deleted=True, message=f"{what} deleted")

    def _info(self, kind: str, obj: JSON) -> pb.JobInfo:
        if kind == "CronJob":
            return job_info_from_cronjob(obj, self._registry)
        return job_info_from_job(obj, self._registry)

    # ---- streams ------------------------------------------------------------------------

    def watch_job(
        self, req: pb.WatchJobRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.read_job_or_schedule(self._reader, namespace, name)
        if kind == "CronJob":
            raise errors.FailedPrecondition(
                f"{name!r} is a schedule; watch its runs with WatchJobs(schedule_id={name!r})"
            )
        return self._watcher.watch_one(namespace, name, obj, is_active)

    def watch_jobs(
        self, req: pb.WatchJobsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        violations = namespace_violations(req.namespace)
        violations += selector_violations(req.label_selector, "label_selector")
        violations += job_type_violations(req.job_types, self._registry)
        violations += schedule_id_violations(req.schedule_id)
        violations += status_filter_violations(req.status_filter)
        if violations:
            raise InvalidArgument(violations)
        namespace = req.namespace or self._settings.k8s_namespace
        selector = managed_selector(req.label_selector, req.job_types, req.schedule_id)
        return self._watcher.watch_many(namespace, selector, set(req.status_filter), is_active)

    def get_job_logs(
        self, req: pb.GetJobLogsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.LogChunk]:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        violations = [
            FieldViolation(field, "must not be negative")
            for field in ("tail_lines", "limit_bytes", "since_seconds")
            if getattr(req, field) < 0
        ]
        if violations:
            raise InvalidArgument(violations)
        kind, _ = lifecycle.read_job_or_schedule(self._reader, namespace, name)
        if kind == "CronJob":
            raise errors.FailedPrecondition(
                f"{name!r} is a schedule; read the logs of one of its runs"
            )
        return self._logs.stream(namespace, name, req, is_active)

    # ---- operations ---------------------------------------------------------------------

    def kubernetes_reachable(self) -> bool:
        """Whether the API server answers, cached for a few seconds (health probes)."""
        with self._reachable_lock:
            now = time.monotonic()
            if self._reachable and now - self._reachable[0] < REACHABILITY_CACHE_SECONDS:
                return self._reachable[1]
            token = requestctx.deadline.set(now + _REACHABILITY_TIMEOUT_SECONDS)
            try:
                self._gateway.server_version()
                reachable = True
            except errors.JobSchedulerError:
                reachable = False
            finally:
                requestctx.deadline.reset(token)
            self._reachable = (time.monotonic(), reachable)
            return reachable

    def start(self) -> None:
        """Start background work: releasing delayed (start_at) jobs on time."""
        self._sweeper.start()

    def stop(self) -> None:
        self._sweeper.stop()


def _request_hash(req: pb.ScheduleJobRequest, namespace: str) -> str:
    """Identifies "the same request" for idempotent retries (namespace made explicit)."""
    normalized = pb.ScheduleJobRequest()
    normalized.CopyFrom(req)
    normalized.namespace = namespace
    _drop_empty_options(normalized)
    return hashlib.sha256(normalized.SerializeToString(deterministic=True)).hexdigest()[:40]


def _drop_empty_options(message: Message) -> None:
    """An option message sent empty means its defaults, as one left out does. Job types (oneof
    cases) are kept: an empty one still names the type."""
    for field, value in message.ListFields():
        if field.message_type is None or field.is_repeated or field.containing_oneof is not None:
            continue
        _drop_empty_options(value)
        if value.ByteSize() == 0:
            message.ClearField(field.name)


def build_service(
    settings: Settings,
    *,
    clock: Clock | None = None,
    api_client: kubernetes.client.ApiClient | None = None,
) -> JobService:
    """Wire a JobService: handler registry (checked against the proto), Kubernetes gateway
    (in-cluster, KUBECONFIG, or the given ``api_client``) and clock."""
    gateway = KubeGateway.from_settings(settings, api_client)
    return JobService(settings, gateway, clock=clock)
