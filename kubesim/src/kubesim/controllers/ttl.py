"""The TTL-after-finished controller: deletes finished Jobs once ``ttlSecondsAfterFinished``
has passed with Foreground propagation, as upstream's ttl-after-finished controller does: the Job
stays visible (deletionTimestamp, foregroundDeletion finalizer) until its pods are gone (reference
73)."""

from __future__ import annotations

import logging

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.informer import Informer, object_key
from kubesim.controllers.job_logic import finish_time
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.timeutil import seconds_between
from kubesim.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)


def seconds_until_expiry(job: JSON, clock: Clock) -> float | None:
    """Clock seconds until a finished Job with a TTL may be deleted (<= 0: now); None if never."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    finished = finish_time(job)
    if ttl is None or finished is None or job["metadata"].get("deletionTimestamp"):
        return None
    return float(ttl) - seconds_between(finished, clock.now())


class TtlController:
    def __init__(self, api: ClusterAPI, clock: Clock, jobs: Informer) -> None:
        self._api = api
        self._clock = clock
        self._jobs = jobs
        self._queue = WorkQueue(clock)
        self._worker = QueueWorker("ttl-after-finished-controller", self._queue, self.sync)
        jobs.add_handler(self._on_job)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def join(self, timeout: float) -> None:
        self._worker.join(timeout)

    def _on_job(self, old: JSON | None, new: JSON | None) -> None:
        if new is not None and seconds_until_expiry(new, self._clock) is not None:
            self._queue.add(object_key(new))

    def sync(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is None:
            return
        remaining = seconds_until_expiry(job, self._clock)
        if remaining is None:
            return
        if remaining > 0:
            self._queue.add_after(key, remaining)
            return
        meta = job["metadata"]
        try:
            self._api.delete(
                "jobs",
                meta.get("namespace"),
                meta["name"],
                propagation_policy="Foreground",
                preconditions={"uid": meta.get("uid")},
            )
        except ApiError as error:
            if error.code not in (404, 409):
                log.warning("ttl controller: deleting job %s: %s", key, error.message)
                self._queue.add_after(key, 1.0)
