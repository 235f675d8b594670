"""JobService: the transport-free implementation of every JobScheduler RPC.

validate -> build (job-type handler) -> submit (gateway) -> read back. Kubernetes is the only
store: reads come from a watch cache of it (``kube.cache``, rebuilt at every start) where the
cache holds the namespace, else from the API server; each write returns once this replica's
cache has seen it, so a read after a write sees the write.
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
from jobscheduler.kube import JOBS, PODS, JobReader, KubeGateway, Resource
from jobscheduler.kube.cache import WatchCache
from jobscheduler.kube.cache.selectors import parse as parse_selector
from jobscheduler.service import dependencies, events, lifecycle, listing, rerun
from jobscheduler.service.batch import BatchScheduler, ItemOutcome
from jobscheduler.service.fanout import StreamFilter, WatchHub
from jobscheduler.service.ids import JobIdGenerator
from jobscheduler.service.kinds import KINDS, Kind, kind_of_manifest, read_job_or_schedule
from jobscheduler.service.logkeeper import KeepOnFinish, LogKeeper
from jobscheduler.service.logs import LogStreamer
from jobscheduler.service.readcache import (
    POD_SAMPLE,
    build_cache,
    cached_pods_of_job,
    jobs_by_type_and_state,
)
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


class JobService:
    def __init__(
        self,
        settings: Settings,
        gateway: KubeGateway,
        *,
        registry: HandlerRegistry | None = None,
        reader: JobReader | None = None,
        cache: WatchCache | None = None,
        clock: Clock | None = None,
        id_generator: Callable[[datetime], str] | None = None,
        sweep_interval_seconds: float = 2.0,
        watch_poll_seconds: int = 5,
    ) -> None:
        self._settings = settings
        self._gateway = gateway
        self._registry = registry or build_registry()
        self._registry.check_against_proto()
        self._cache = cache
        self._reader: JobReader = reader or cache or gateway
        self._clock = clock or SystemClock()
        self._new_id = id_generator or JobIdGenerator()
        # Streams in namespaces the cache does not hold watch the API server themselves.
        self._watcher = JobWatcher(gateway, self._registry, poll_seconds=watch_poll_seconds)
        self._hub = (
            WatchHub(
                cache,
                self._registry,
                queue_size=settings.watch_stream_queue_size,
                resume_window=settings.watch_resume_window,
            )
            if cache is not None
            else None
        )
        self._logs = LogStreamer(self._reader, settings, self._clock.now)
        self._keeper = LogKeeper(gateway, self._reader, settings, self._clock)
        # Every replica keeps the logs of the jobs its cache sees finish; they keep once.
        self._keep_on_finish = KeepOnFinish(self._keeper, cache) if cache is not None else None
        self._sweeper = BackgroundSweeper(
            gateway,
            self._clock,
            settings.k8s_namespace,
            reader=self._reader,
            cache=cache,
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
        return self._schedule(req)

    def _schedule(self, req: pb.ScheduleJobRequest, rerun_of: str = "") -> pb.ScheduleJobResponse:
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
        if rerun_of:
            rerun.link_to_original(manifest, rerun_of)
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
        self._saw_write(kind.resource, created)
        info = kind.info(created, self._registry, None)
        return pb.ScheduleJobResponse(
            job_id=job_id,
            status=info.status,
            message=message,
            k8s_job_name=job_id,
            job_info=info,
        )

    def rerun_job(self, req: pb.RerunJobRequest) -> pb.RerunJobResponse:
        return rerun.rerun_job(self._reader, self._registry, self._settings, self._schedule, req)

    def schedule_jobs(self, req: pb.ScheduleJobsRequest) -> list[ItemOutcome]:
        """Each request scheduled as ``schedule_job`` would (see ``service.batch``)."""
        return self._batch.schedule_jobs(req)

    def _existing_same_request(
        self, namespace: str, job_id: str, kind: Kind, request_hash: str
    ) -> JSON:
        try:
            # From the API server: the object may be another replica's, not yet cached here.
            existing = self._gateway.get(kind.resource, namespace, job_id)
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
        reader = self._gateway if req.fresh else self._reader
        info = self._read_info(reader, namespace, name)
        return pb.GetJobStatusResponse(
            job_id=info.job_id, job_info=info, status=info.status, message=info.message
        )

    def _read_info(self, reader: JobReader, namespace: str, name: str) -> pb.JobInfo:
        kind, obj = read_job_or_schedule(reader, namespace, name)
        pods = None
        # Pods are read only when they can explain a wait (image pulls, scheduling).
        if kind.pods_explain_waits and kind.state(obj).status in _POD_STATES:
            pods = self._pods_of(reader, namespace, name)
        return kind.info(obj, self._registry, pods)

    def _pods_of(self, reader: JobReader, namespace: str, name: str) -> list[JSON]:
        if self._cache is not None and reader is self._cache:
            cached = cached_pods_of_job(self._cache, namespace, name)
            if cached is not None:
                return cached
        selector = f"{POD_JOB_NAME_LABEL}={name}"
        page = reader.list(PODS, namespace, label_selector=selector, limit=POD_SAMPLE)
        pods: list[JSON] = page.get("items") or []
        return pods

    def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        if self._cache is not None:
            cached = listing.list_jobs_cached(self._cache, self._registry, self._settings, req)
            if cached is not None:
                return cached
        return listing.list_jobs(self._gateway, self._registry, self._settings, req)

    def list_schedules(self, req: pb.ListSchedulesRequest) -> pb.ListSchedulesResponse:
        if self._cache is not None:
            cached = listing.list_schedules_cached(self._cache, self._registry, self._settings, req)
            if cached is not None:
                return cached
        return listing.list_schedules(self._gateway, self._registry, self._settings, req)

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
        kind, obj, message = lifecycle.cancel(
            self._gateway,
            self._reader,
            namespace,
            name,
            now,
            on_run_cancelled=lambda run_kind, run: self._saw_write(run_kind.resource, run),
            keep_logs=self._keeper.keep_quietly,
        )
        self._saw_write(kind.resource, obj)
        return pb.CancelJobResponse(
            success=True, message=message, job_info=kind.info(obj, self._registry, None)
        )

    def suspend_job(self, req: pb.SuspendJobRequest) -> pb.SuspendJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.suspend(
            self._gateway, self._reader, namespace, name, keep_logs=self._keeper.keep_quietly
        )
        self._saw_write(kind.resource, obj)
        return pb.SuspendJobResponse(job_info=kind.info(obj, self._registry, None))

    def resume_job(self, req: pb.ResumeJobRequest) -> pb.ResumeJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = lifecycle.resume(self._gateway, self._reader, namespace, name)
        self._saw_write(kind.resource, obj)
        return pb.ResumeJobResponse(job_info=kind.info(obj, self._registry, None))

    def delete_job(self, req: pb.DeleteJobRequest) -> pb.DeleteJobResponse:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind = lifecycle.delete(self._gateway, self._reader, namespace, name)
        if self._cache is not None:
            self._cache.saw_delete(kind.resource, namespace, name)
        return pb.DeleteJobResponse(deleted=True, message=kind.deleted_message)

    def _saw_write(self, resource: Resource, obj: JSON) -> None:
        """Return once this replica's cache holds ``obj`` as written (bounded)."""
        if self._cache is None:
            return
        metadata = obj.get("metadata") or {}
        self._cache.saw_write(
            resource,
            str(metadata.get("namespace", "")),
            str(metadata.get("name", "")),
            str(metadata.get("resourceVersion", "")),
        )

    # ---- streams ------------------------------------------------------------------------

    def watch_job(
        self, req: pb.WatchJobRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        namespace, name = job_address(req.job_id, req.namespace, self._settings)
        kind, obj = read_job_or_schedule(self._reader, namespace, name)
        kind.refuse(kind.watch_refusal, name)
        reader, hub = self._cache, self._hub
        if hub is None or reader is None or not reader.covers(kind.resource, namespace):
            return self._watcher.watch_one(namespace, name, obj, is_active)

        def current() -> list[JSON]:
            try:
                return [reader.get(kind.resource, namespace, name)]
            except errors.NotFound:
                return []

        stream_filter = StreamFilter(frozenset({namespace}), [], frozenset(), job=(namespace, name))
        return hub.stream(stream_filter, is_active, resume_token=req.resume_token, initial=current)

    def watch_jobs(
        self, req: pb.WatchJobsRequest, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        violations = namespace_violations(req.namespace)
        violations += selector_violations(req.label_selector, "label_selector")
        violations += job_type_violations(req.job_types, self._registry)
        violations += schedule_id_violations(req.schedule_id)
        violations += status_filter_violations(req.status_filter)
        violations += listing.all_namespaces_violations(req.namespace, req.all_namespaces)
        if violations:
            raise InvalidArgument(violations)
        namespace = listing.listed_namespace(req.namespace, req.all_namespaces, self._settings)
        selector = managed_selector(req.label_selector, req.job_types, req.schedule_id)
        return self.watch_selected(
            None if namespace is None else [namespace],
            selector,
            set(req.status_filter),
            is_active,
            req.resume_token,
        )

    def watch_selected(
        self,
        namespaces: list[str] | None,
        selector: str,
        states: set[int],
        is_active: Callable[[], bool],
        resume_token: str = "",
    ) -> Iterator[pb.JobEvent]:
        """Jobs matching ``selector`` in ``namespaces`` (the namespace filter an access check
        narrows; None: every namespace): from the cache's fan-out, or a watch of the API server
        per stream when the cache does not hold them (all namespaces: a cluster-wide watch)."""
        cache, hub = self._cache, self._hub
        requirements = parse_selector(selector)
        watched: list[str | None] = [None] if namespaces is None else list(namespaces)
        if (
            cache is None
            or hub is None
            or requirements is None
            or not all(cache.covers(JOBS, ns) for ns in watched)
        ):
            if len(watched) != 1:
                raise errors.FailedPrecondition("watching several namespaces needs the cache")
            return self._watcher.watch_many(watched[0], selector, states, is_active)
        wanted = list(requirements)

        def current() -> list[JSON]:
            found: list[JSON] = []
            for ns in watched:
                informer = cache.informer_for(JOBS, ns)
                assert informer is not None
                keys = cache.select(informer, ns, wanted)
                found += informer.store.get_many(informer.store.ordered(keys, None, len(keys)))
            return found

        shown = None if namespaces is None else frozenset(namespaces)
        stream_filter = StreamFilter(shown, wanted, frozenset(states))
        return hub.stream(stream_filter, is_active, resume_token=resume_token, initial=current)

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
        kind, job = read_job_or_schedule(self._reader, namespace, name)
        kind.refuse(kind.logs_refusal, name)
        return self._logs.stream(namespace, job, req, is_active)

    # ---- operations ---------------------------------------------------------------------

    def kubernetes_reachable(self) -> bool:
        """Whether the API server answers (cached for a few seconds: health probes) and the
        watch cache has synced and not lost its watch past the staleness limit."""
        if self._cache is not None and not self._cache.healthy():
            return False
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

    @property
    def cache(self) -> WatchCache | None:
        return self._cache

    def start(self) -> None:
        """Start background work: the watch cache's first sync (reads wait for it, health
        says NOT_SERVING until then) and releasing delayed (start_at) jobs on time."""
        if self._cache is not None:
            cache = self._cache
            metrics.JOBS_GAUGE.source = lambda: jobs_by_type_and_state(cache)
            cache.start()
        if self._keep_on_finish is not None:
            self._keep_on_finish.start()
        self._sweeper.start()

    def stop(self) -> None:
        self._sweeper.stop()
        if self._keep_on_finish is not None:
            self._keep_on_finish.stop()
        if self._cache is not None:
            self._cache.stop()
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
    cache = build_cache(gateway, settings) if settings.cache_enabled else None
    return JobService(settings, gateway, cache=cache, clock=clock)
