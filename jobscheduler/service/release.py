"""Background sweep: start delayed jobs on time, release (or cancel) jobs waiting for their
dependencies (``service.dependencies``), end jobs stuck past their startup deadline
(``service.startup``), and retire cancelled ones after their TTL.

Delayed (``start_at``) jobs live in Kubernetes as suspended Jobs labelled with their start
time, so the sweep needs no state of its own and a restart loses nothing. Releasing is a patch
with a resourceVersion precondition: when several replicas race, one wins and the others get
409 Conflict and move on, so a job is never started twice.

Kubernetes' TTL controller only removes *finished* Jobs, and a cancelled Job is merely
suspended; the sweep deletes cancelled Jobs once their ttlSecondsAfterFinished has passed
since the cancellation, as the TTL controller would have, and cancelled schedules (which
Kubernetes never removes) once their runs' ttlSecondsAfterFinished has. That look lists every
cancelled object, so it runs once per ``RETIRE_INTERVAL_SECONDS``, not on every pass.

The sweep's lists come from the watch cache for the namespaces it holds (no API call), and
from the API server for the others: across namespaces (less the cached ones) once per
``UNCACHED_SWEEP_INTERVAL_SECONDS``, since each such list makes the API server scan every Job,
or in ``K8S_NAMESPACE`` alone, on every pass, for a replica without cluster-wide permission.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from jobscheduler import errors
from jobscheduler.clock import Clock
from jobscheduler.daemon import DaemonThread
from jobscheduler.jobtypes.dependson import WAITING_LABEL
from jobscheduler.jobtypes.metadata import (
    CANCELLED_AT_ANNOTATION,
    CANCELLED_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    START_AT_LABEL,
)
from jobscheduler.kube import JOBS, JobReader, KubeGateway
from jobscheduler.kube.cache import WatchCache
from jobscheduler.service import startup
from jobscheduler.service.dependencies import DependencyReleaser
from jobscheduler.service.jobinfo import parse_time
from jobscheduler.service.kinds import JOB, KINDS, Kind

log = logging.getLogger(__name__)
JSON = dict[str, Any]
# Cluster seconds between looks for expired cancellations. Starting a delayed job is due to the
# second; retention (TTLs of seconds to days) is not, and each look lists every cancelled job.
RETIRE_INTERVAL_SECONDS = 60.0
# Cluster seconds between looks in the namespaces the cache does not hold: a delayed job there
# starts up to this late (list its namespace in CACHE_NAMESPACES for starts to the second).
UNCACHED_SWEEP_INTERVAL_SECONDS = 10.0


class BackgroundSweeper:
    def __init__(
        self,
        gateway: KubeGateway,
        clock: Clock,
        default_namespace: str,
        *,
        reader: JobReader | None = None,
        cache: WatchCache | None = None,
        interval_seconds: float = 2.0,
    ) -> None:
        self._gateway = gateway
        self._reader: JobReader = reader or gateway
        self._clock = clock
        self._default_namespace = default_namespace
        self._interval = interval_seconds
        self._daemon = DaemonThread("jobscheduler-sweeper", self._run, stop_wait_seconds=10)
        self._stop = self._daemon.stopping
        # None: try all namespaces first; falls back to the default namespace without a
        # ClusterRole (then delayed jobs elsewhere wait for a replica that has one).
        self._namespace: str | None = None
        self._last_retire: float | None = None
        self._cache = cache
        self._last_uncached: float | None = None
        self._look_uncached = True  # this pass lists the namespaces the cache does not hold
        self._dependencies = DependencyReleaser(gateway, self._reader)

    def start(self) -> None:
        self._daemon.start()

    def stop(self) -> None:
        self._daemon.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except errors.JobSchedulerError as exc:
                log.warning("background sweep failed: %s", exc.message)
            except Exception:
                log.exception("background sweep failed unexpectedly")
            self._clock.wait(self._stop, self._interval)

    def sweep(self) -> tuple[int, int]:
        """One pass; returns (jobs released, cancelled jobs deleted)."""
        now = self._clock.now().timestamp()
        self._look_uncached = (
            self._last_uncached is None
            or now - self._last_uncached >= UNCACHED_SWEEP_INTERVAL_SECONDS
        )
        if self._look_uncached:
            self._last_uncached = now
        released = self.release_due() + self.release_dependents()
        startup.fail_stuck_jobs(self._gateway, self._reader, self._list, self._clock.now())
        now = self._clock.now().timestamp()
        if self._last_retire is not None and now - self._last_retire < RETIRE_INTERVAL_SECONDS:
            return released, 0
        self._last_retire = now
        return released, self.delete_expired_cancelled()

    def _list(self, selector: str, kind: Kind = JOB) -> list[JSON]:
        full_selector = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{selector}"
        held = self._cache.namespaces if self._cache is not None else None
        if self._namespace is not None or not held:
            return self._list_in(kind, self._namespace, full_selector)
        items: list[JSON] = []
        # Before the cache's first sync the cached namespaces wait for the passes after it:
        # listing them from the API server meanwhile made it scan every Job while it served
        # the sync's pages (100k jobs synced seconds later). Later the cache answers, or, while
        # it cannot (cut off from the API server), the API server.
        if self._cache is not None and self._cache.synced:
            for namespace in held:
                items += self._list_in(kind, namespace, full_selector)
        if self._look_uncached:
            items += self._list_in(kind, None, full_selector, excluding=held)
        return items

    def _list_in(
        self, kind: Kind, namespace: str | None, selector: str, excluding: Sequence[str] = ()
    ) -> list[JSON]:
        """From the reader; across namespaces (less ``excluding``) when ``namespace`` is None
        and RBAC allows, else (from then on) in the default namespace alone."""
        try:
            page = self._reader.list(
                kind.resource,
                namespace,
                label_selector=selector,
                field_selector=",".join(f"metadata.namespace!={ns}" for ns in excluding),
            )
        except errors.PermissionDenied:
            if namespace is not None:
                raise
            log.info(
                "no cluster-wide list permission; sweeping namespace %s only",
                self._default_namespace,
            )
            self._namespace = self._default_namespace
            page = self._reader.list(kind.resource, self._namespace, label_selector=selector)
        items: list[JSON] = page.get("items") or []
        return items

    def release_due(self) -> int:
        now = self._clock.now().timestamp()
        released = 0
        for job in self._list(START_AT_LABEL):
            metadata = job["metadata"]
            try:
                start_at = int(metadata["labels"][START_AT_LABEL])
            except (KeyError, ValueError):
                start_at = 0  # a mangled label must not keep a job waiting forever
            if start_at > now:
                continue
            patch: JSON = {
                "metadata": {
                    "resourceVersion": metadata["resourceVersion"],
                    "labels": {START_AT_LABEL: None},
                },
            }
            if WAITING_LABEL not in metadata["labels"]:
                patch["spec"] = {"suspend": False}  # else its dependencies release it
            try:
                self._gateway.patch(JOBS, metadata["namespace"], metadata["name"], patch)
                released += 1
            except (errors.Conflict, errors.NotFound):
                continue  # another replica released (or someone changed/deleted) it first
            except (
                errors.PermissionDenied,
                errors.FailedPrecondition,
                errors.ResourceExhausted,
            ) as exc:
                # RBAC, or a quota/admission policy: this job waits, the others go on.
                log.warning(
                    "could not start delayed job %s/%s: %s",
                    metadata["namespace"],
                    metadata["name"],
                    exc.message,
                )
        return released

    def release_dependents(self) -> int:
        """Jobs whose dependencies now allow them to run, released (see service.dependencies)."""
        return self._dependencies.release_ready(self._list, self._clock.now())

    def delete_expired_cancelled(self) -> int:
        now = self._clock.now().timestamp()
        deleted = 0
        for kind in KINDS:
            for obj in self._list(f"{CANCELLED_LABEL}=true", kind):
                if not _retention_over(kind, obj, now):
                    continue
                metadata = obj["metadata"]
                try:
                    self._gateway.delete(kind.resource, metadata["namespace"], metadata["name"])
                    deleted += 1
                except errors.NotFound:
                    continue
                except errors.PermissionDenied:
                    # Listing may reach namespaces this replica cannot change; others can.
                    log.debug(
                        "not allowed to delete %s/%s", metadata["namespace"], metadata["name"]
                    )
        return deleted


def _retention_over(kind: Kind, obj: JSON, now: float) -> bool:
    """Whether ttlSecondsAfterFinished (of a job, or of a schedule's runs) has passed since the
    cancellation. Kubernetes keeps schedules forever, so a cancelled one follows its runs."""
    metadata = obj["metadata"]
    cancelled_at = parse_time((metadata.get("annotations") or {}).get(CANCELLED_AT_ANNOTATION))
    ttl = kind.run_spec(obj).get("ttlSecondsAfterFinished")
    return cancelled_at is not None and ttl is not None and cancelled_at.timestamp() + ttl <= now
