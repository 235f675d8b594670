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
from jobscheduler.jobtypes.fieldtable import (
    annotation_size_violations,
    kubernetes_violations,
    validate_request,
)
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.metadata import POD_JOB_NAME_LABEL, REQUEST_HASH_ANNOTATION
from jobscheduler.jobtypes.registry import REQUEST_ONEOF
from jobscheduler.jobtypes.validation import pod_annotation_violations
from jobscheduler.kube import PODS, JobReader, KubeGateway
from jobscheduler.service import dependencies, events, lifecycle, listing
from jobscheduler.service.batch import BatchScheduler, ItemOutcome
from jobscheduler.service.ids import JobIdGenerator
from jobscheduler.service.kinds import KINDS, Kind, kind_of_manifest, read_job_or_schedule
from jobscheduler.service.logs import LogStreamer
from jobscheduler.service.release import BackgroundSweeper
from jobscheduler.service.requests import (
    job_address,
    job_type_violations,
    managed_selector,
    namespace_violations,
    schedule_id_violations,
    selector_violations,
    status_filter_violations,
)
from jobscheduler.service.templates import TemplateStore
from jobscheduler.service.watching import JobWatcher

if TYPE_CHECKING:
    import kubernetes.client

JSON = dict[str, Any]
# How long a kubernetes_reachable() answer is reused: health probes come in bursts.
REACHABILITY_CACHE_SECONDS = 5.0
_REACHABILITY_TIMEOUT_SECONDS = 2.0
# FAILED too: a failed pod's termination message can say why (service/status.py).
_POD_STATES = (pb.JOB_STATUS_PENDING, pb.JOB_STATUS_RUNNING, pb.JOB_STATUS_FAILED)
# Pods GetJobStatus reads to explain a wait: a wide batch job may have thousands, and a stuck
# image pull or an unschedulable pod shows on any of them.
STATUS_POD_SAMPLE = 20


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
        self._watcher = JobWatcher(self._reader, self._registry, poll_seconds=watch_poll_seconds)
        self._logs = LogStreamer(self._reader, settings)
        self._sweeper = BackgroundSweeper(
            gateway,
            self._clock,
            settings.k8s_namespace,
            reader=self._reader,
            interval_seconds=sweep_interval_seconds,
        )
        self._reachable_lock = threading.Lock()
        self._reachable: tuple[float, bool] | None = None
        self._batch = BatchScheduler(self.schedule_job, settings.schedule_jobs_concurrency)
        self._templates = TemplateStore(gateway, self._reader, settings)

    @property
    def registry(self) -> HandlerRegistry:
        return self._registry

    # ---- ScheduleJob --------------------------------------------------------------------

    def schedule_job(self, req: pb.ScheduleJobRequest) -> pb.ScheduleJobResponse:
        # From a template: the resolved request takes the same path as a direct one.
        from_template = self._templates.resolve(req) if req.HasField("template") else None
        if from_template is not None:
            req = from_template.request
        violations = validate_request(req, self._registry)
        violations += pod_annotation_violations(
            req.annotations, self._settings.pod_annotation_allowed_prefixes
        )
        if violations and from_template is not None:
            violations = from_template.readdress(violations)
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
        manifest["metadata"]["annotations"] |= dependencies.creation_annotations(
            self._reader, namespace, req
        )
        if from_template is not None:
            from_template.annotate(manifest)
        if violations := annotation_size_violations(req, manifest, handler):
            raise InvalidArgument(violations)
        kind = kind_of_manifest(manifest)
        if client_chose_id:
            # Jobs and schedules share one id space: GetJobStatus must find exactly one.
            self._refuse_id_taken_by_other_kind(namespace, job_id, kind)
        try:
            created = self._gateway.create(kind.resource, namespace, manifest)
            message = kind.created_message
            metrics.JOBS_SCHEDULED.labels(job_type=handler.name).inc()
        except errors.AlreadyExists:
            created = self._existing_same_request(namespace, job_id, kind, request_hash)
            message = "already scheduled by an identical request"
        except InvalidArgument as exc:
            raise kubernetes_violations(exc, handler) from exc
        except errors.NotFound:
            # Creating in a namespace that does not exist is the only 404 a create can get.
            raise errors.NotFound(f"namespace {namespace!r} not found") from None
        info = kind.info(created, self._registry, None)
        return pb.ScheduleJobResponse(
            job_id=job_id,
            status=info.status,
            message=message,
            k8s_job_name=job_id,
            job_info=info,
        )

    def schedule_jobs(self, req: pb.ScheduleJobsRequest) -> list[ItemOutcome]:
        """Each request scheduled as ``schedule_job`` would (see ``service.batch``)."""
        return self._batch.schedule_jobs(req)

    def _existing_same_request(
        self, namespace: str, job_id: str, kind: Kind, request_hash: str
    ) -> JSON:
        try:
            existing = self._reader.get(kind.resource, namespace, job_id)
        except errors.NotFound:
            # Deleted between our create and this read: the caller may simply retry.
            raise errors.Conflict(f"job {job_id!r} changed concurrently; retry") from None
        annotations = existing.get("metadata", {}).get("annotations") or {}
        if annotations.get(REQUEST_HASH_ANNOTATION) != request_hash:
            raise errors.AlreadyExists(
                f"job {job_id!r} already exists in namespace {namespace!r} with a different request"
            )
        return existing

    def _refuse_id_taken_by_other_kind(self, namespace: str, job_id: str, kind: Kind) -> None:
        for other in KINDS:
            if other is kind:
                continue
            try:
                self._reader.get(other.resource, namespace, job_id)
            except errors.NotFound:
                continue
            raise errors.AlreadyExists(
                f"a {other.noun} with id {job_id!r} already exists in namespace {namespace!r}"
            )

    # ---- job templates (``service.templates``) -------------------------------------------

    def create_job_template(self, req: pb.CreateJobTemplateRequest) -> pb.JobTemplate:
        return self._templates.create(req)

    def get_job_template(self, req: pb.GetJobTemplateRequest) -> pb.JobTemplate:
        return self._templates.get(req)

    def list_job_templates(self, req: pb.ListJobTemplatesRequest) -> pb.ListJobTemplatesResponse:
        return self._templates.list(req)

    def delete_job_template(self, req: pb.DeleteJobTemplateRequest) -> pb.DeleteJobTemplateResponse:
        return self._templates.delete(req)

    # ---- reads --------------------------------------------------------------------------

    def get_job_status(self, req: pb.GetJobStatusRequest) -> pb.GetJobStatusResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        info = self._read_info(namespace, name, with_pods=True)
        return pb.GetJobStatusResponse(
            job_id=info.job_id, job_info=info, status=info.status, message=info.message
        )

    def _read_info(self, namespace: str, name: str, *, with_pods: bool = False) -> pb.JobInfo:
        kind, obj = read_job_or_schedule(self._reader, namespace, name)
        pods = None
        # Pods are read only when they can explain a wait (image pulls, scheduling): one LIST.
        if with_pods and kind.pods_explain_waits and kind.state(obj).status in _POD_STATES:
            selector = f"{POD_JOB_NAME_LABEL}={name}"
            page = self._reader.list(
                PODS, namespace, label_selector=selector, limit=STATUS_POD_SAMPLE
            )
            pods = page.get("items") or []
        return kind.info(obj, self._registry, pods)

    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        return listing.list_jobs(self._reader, self._registry, self._settings, req)

    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse:
        return listing.list_schedules(self._reader, self._registry, self._settings, req)

    def job_events(self, job_id: str, namespace: str) -> list[JSON]:
        """Kubernetes Events about the job (or schedule) and its first pods (``service.events``)."""
        namespace, name = job_address(job_id, namespace, self._settings)
        read_job_or_schedule(self._reader, namespace, name)  # NOT_FOUND for an unknown job
        return events.job_events(self._reader, namespace, name)

    def list_job_types(self, req: pb.ListJobTypesRequest) -> pb.ListJobTypesResponse:
        return pb.ListJobTypesResponse(
            job_types=[lifecycle.job_type_info(h, self._settings) for h in self._registry]
        )

    # ---- changes ------------------------------------------------------------------------

    def cancel_job(self, req: pb.CancelJobRequest) -> pb.CancelJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        now = self._clock.now()
        kind, obj, message = lifecycle.cancel(self._gateway, self._reader, namespace, name, now)
        return pb.CancelJobResponse(
            success=True, message=message, job_info=kind.info(obj, self._registry, None)
        )

    def suspend_job(self, req: pb.SuspendJobRequest) -> pb.SuspendJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.suspend(self._gateway, self._reader, namespace, name)
        return pb.SuspendJobResponse(job_info=kind.info(obj, self._registry, None))

    def resume_job(self, req: pb.ResumeJobRequest) -> pb.ResumeJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.resume(self._gateway, self._reader, namespace, name)
        return pb.ResumeJobResponse(job_info=kind.info(obj, self._registry, None))

    def delete_job(self, req: pb.DeleteJobRequest) -> pb.DeleteJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind = lifecycle.delete(self._gateway, self._reader, namespace, name)
        return pb.DeleteJobResponse(deleted=True, message=kind.deleted_message)

    # ---- streams ------------------------------------------------------------------------

    def watch_job(
        self, req: pb.WatchJobRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = read_job_or_schedule(self._reader, namespace, name)
        kind.refuse(kind.watch_refusal, name)
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
        kind, _ = read_job_or_schedule(self._reader, namespace, name)
        kind.refuse(kind.logs_refusal, name)
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
        self._batch.stop()


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
