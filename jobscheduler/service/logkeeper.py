"""Keeping the tail of a job's pod logs before its pods go (the format: ``service.keptlogs``).

``LogKeeper.keep`` is called before a cancel or suspend stops a Job's pods (from
``service.lifecycle``, on the replica serving the RPC) and, through ``KeepOnFinish``, when the
watch cache sees a Job finish (on every replica). It is bounded per job: one list of the
job's pods, one GET of the ConfigMap (none when no pod started), one log read of at most
``KEPT_LOGS_MAX_PODS`` pods (each asking the kubelet for no more lines than the budget has
bytes, and keeping only the last ``KEPT_LOGS_BYTES_PER_POD`` bytes), and one create (or a
patch adding the pods of a later run after a resume).

Several replicas keep once: the ConfigMap's name is the job's, a create that finds it
(AlreadyExists) means another replica kept the same pods, and a patch carries the
resourceVersion it was decided on, so a concurrent one loses with a conflict and gives way.
The kept text is the job's own output: it goes into the ConfigMap and nowhere else, never
into this service's log.
"""

from __future__ import annotations

import logging
import queue
from typing import Any

from jobscheduler import errors, metrics
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.clock import Clock
from jobscheduler.config import Settings
from jobscheduler.daemon import DaemonThread
from jobscheduler.jobtypes.manifest import format_time
from jobscheduler.kube import JOBS, JobReader, KubeGateway
from jobscheduler.kube.cache import Change, WatchCache
from jobscheduler.kube.resources import CONFIGMAPS
from jobscheduler.service import keptlogs
from jobscheduler.service.keptlogs import FINISHED, KeptPod
from jobscheduler.service.logs import container_name, job_pods, pod_phase
from jobscheduler.service.status import is_final, job_state

log = logging.getLogger(__name__)
JSON = dict[str, Any]
# Finished jobs waiting to be kept; beyond it a burst of finishes is dropped (and counted)
# rather than held in memory: other replicas keep them too.
FINISHED_QUEUE_SIZE = 1000
_STOP_POLL_SECONDS = 0.5


class LogKeeper:
    def __init__(
        self, gateway: KubeGateway, reader: JobReader, settings: Settings, clock: Clock
    ) -> None:
        self._gateway = gateway
        self._reader = reader
        self._settings = settings
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return self._settings.kept_logs_bytes_per_pod > 0 and self._settings.kept_logs_max_pods > 0

    def keep_quietly(self, job: JSON, reason: str) -> None:
        """``keep``, a failure only logged: a cancel or suspend must not fail because its
        logs could not be kept, and a finished job's pods stay until its TTL anyway."""
        try:
            self.keep(job, reason)
        except errors.JobSchedulerError as exc:
            metrics.KEPT_LOGS.labels(reason=reason, outcome="failed").inc()
            metadata = job.get("metadata") or {}
            log.warning(
                "could not keep the logs of job %s/%s: %s",
                metadata.get("namespace"),
                metadata.get("name"),
                exc.message,
            )

    def keep(self, job: JSON, reason: str) -> None:
        """Keep the tail of the logs of ``job``'s started pods not kept yet."""
        if not self.enabled:
            return
        metadata = job.get("metadata") or {}
        namespace, name = str(metadata["namespace"]), str(metadata["name"])
        started = [
            pod for pod in job_pods(self._reader, namespace, name) if pod_phase(pod) != "Pending"
        ]
        if not started:  # nothing to read (a job that never started): not even a GET
            metrics.KEPT_LOGS.labels(reason=reason, outcome="nothing_new").inc()
            return
        configmap = self._existing(namespace, name)
        already: list[KeptPod] = []
        if configmap is not None:
            found = keptlogs.kept_pods(configmap, str(metadata.get("uid", "")))
            if found is None:
                log.warning(
                    "not keeping the logs of job %s/%s: ConfigMap %s is not its kept logs",
                    namespace,
                    name,
                    keptlogs.configmap_name(name),
                )
                metrics.KEPT_LOGS.labels(reason=reason, outcome="failed").inc()
                return
            already = found
        known = {pod.name for pod in already}
        limit = self._settings.kept_logs_max_pods
        started = [pod for pod in started if pod["metadata"]["name"] not in known][-limit:]
        if not started:
            metrics.KEPT_LOGS.labels(reason=reason, outcome="nothing_new").inc()
            return
        now = format_time(self._clock.now())
        new = [self._read(namespace, pod, reason, now) for pod in started]
        pods = keptlogs.newest([*already, *new], limit)
        outcome = "kept"
        try:
            if configmap is None:
                self._gateway.create(CONFIGMAPS, namespace, keptlogs.build_configmap(job, pods))
            else:
                patch = keptlogs.update_patch(configmap, pods)
                self._gateway.patch(CONFIGMAPS, namespace, configmap["metadata"]["name"], patch)
        except (errors.AlreadyExists, errors.Conflict):
            outcome = "already_kept"  # another replica kept these pods a moment before us
        except errors.NotFound:
            outcome = "nothing_new"  # the namespace, or the ConfigMap we patch, went away
        metrics.KEPT_LOGS.labels(reason=reason, outcome=outcome).inc()

    def _existing(self, namespace: str, name: str) -> JSON | None:
        try:
            # From the API server (the cache holds no ConfigMaps): another replica's keep.
            return self._gateway.get(CONFIGMAPS, namespace, keptlogs.configmap_name(name))
        except errors.NotFound:
            return None

    def _read(self, namespace: str, pod: JSON, reason: str, now: str) -> KeptPod:
        budget = self._settings.kept_logs_bytes_per_pod
        name = pod["metadata"]["name"]
        tail = bytearray()
        total = 0
        try:
            for raw in self._reader.stream_pod_log(
                namespace,
                name,
                container=container_name(pod),
                follow=False,
                # Every line takes at least one byte, so this many lines hold the budget.
                tail_lines=budget,
                since_seconds=None,
                limit_bytes=None,
                read_timeout_seconds=self._settings.k8s_request_timeout_seconds,
            ):
                total += len(raw)
                tail += raw
                if len(tail) > 2 * budget:
                    del tail[: len(tail) - budget - 4]  # room for a character cut at the edge
        except (errors.InvalidArgument, errors.NotFound):
            pass  # the container never started, or the pod went meanwhile: nothing to read
        text, dropped = keptlogs.tail_text(bytes(tail), budget)
        return KeptPod(
            name=name,
            created=str(pod["metadata"].get("creationTimestamp", "")),
            phase=pod_phase(pod),
            kept_at=now,
            reason=reason,
            dropped_bytes=dropped + total - len(tail),
            text=text,
        )


class KeepOnFinish:
    """Keeps the logs of every Job the cache sees finish (succeeded or failed), off the
    cache's thread: the listener only queues the job, one worker keeps them one by one."""

    def __init__(self, keeper: LogKeeper, cache: WatchCache) -> None:
        self._keeper = keeper
        self._queue: queue.Queue[JSON] = queue.Queue(FINISHED_QUEUE_SIZE)
        self._daemon = DaemonThread("jobscheduler-keep-logs", self._run, stop_wait_seconds=10)
        self._stop = self._daemon.stopping
        if keeper.enabled:
            cache.add_listener(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource != JOBS or change.current is None:
            return
        status = job_state(change.current).status
        # A cancel kept its logs before it stopped the pods (service.lifecycle).
        if not is_final(status) or status == pb.JOB_STATUS_CANCELLED:
            return
        if change.previous is not None and is_final(job_state(change.previous).status):
            return  # finished before: kept then
        try:
            self._queue.put_nowait(change.current)
        except queue.Full:
            metrics.KEPT_LOGS.labels(reason=FINISHED, outcome="dropped").inc()

    def start(self) -> None:
        if self._keeper.enabled:
            self._daemon.start()

    def stop(self) -> None:
        self._daemon.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._queue.get(timeout=_STOP_POLL_SECONDS)
            except queue.Empty:
                continue
            try:
                self._keeper.keep_quietly(job, FINISHED)
            except Exception:  # a bug must not end the worker: log it and go on
                log.exception("keeping the logs of a finished job failed")
