"""The Job controller: runs ``reconcile_job`` for every Job whose Job or pods changed.

Like upstream it keeps "expectations": after creating or deleting pods it does not act on the
Job again until its pod cache has seen those changes, so a stale cache never makes it create
pods twice.
"""

from __future__ import annotations

import copy
import logging
import threading
import time

from jobscheduler.clock import Clock
from jobscheduler.embedded.api import JSON, ApiError, ClusterAPI
from jobscheduler.embedded.controllers.events import EventRecorder
from jobscheduler.embedded.controllers.informer import Informer, controller_owner, object_key
from jobscheduler.embedded.controllers.job_logic import BackoffPolicy, reconcile_job
from jobscheduler.embedded.controllers.jobpods import pod_name
from jobscheduler.embedded.controllers.runner import QueueWorker
from jobscheduler.embedded.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)

# Real seconds after which unmet expectations are dropped (a watch event was lost).
_EXPECTATION_TTL_SECONDS = 30.0


class _Expectations:
    """Pod names a Job's sync waits to see created (present) or deleted (absent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[set[str], set[str], float]] = {}

    def expect(self, job_uid: str, created: list[str], deleted: list[str]) -> None:
        if not created and not deleted:
            return
        with self._lock:
            present, absent, _ = self._pending.get(job_uid, (set(), set(), 0.0))
            self._pending[job_uid] = (
                present | set(created),
                absent | set(deleted),
                time.monotonic(),
            )

    def observe(self, job_uid: str, name: str, *, gone: bool) -> None:
        with self._lock:
            entry = self._pending.get(job_uid)
            if entry is None:
                return
            present, absent, _ = entry
            present.discard(name)
            if gone:
                absent.discard(name)

    def satisfied(self, job_uid: str) -> bool:
        with self._lock:
            entry = self._pending.get(job_uid)
            if entry is None:
                return True
            present, absent, since = entry
            if (not present and not absent) or time.monotonic() - since > _EXPECTATION_TTL_SECONDS:
                del self._pending[job_uid]
                return True
            return False

    def forget(self, job_uid: str) -> None:
        with self._lock:
            self._pending.pop(job_uid, None)


class JobController:
    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        jobs: Informer,
        pods: Informer,
        backoff: BackoffPolicy | None = None,
    ) -> None:
        self._api = api
        self._clock = clock
        self._jobs = jobs
        self._pods = pods
        self._backoff = backoff or BackoffPolicy()
        self._events = EventRecorder(api, clock, "job-controller")
        self._queue = WorkQueue(clock)
        self._expectations = _Expectations()
        self._worker = QueueWorker("job-controller", self._queue, self.sync)
        jobs.add_handler(self._on_job)
        pods.add_handler(self._on_pod)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def join(self, timeout: float) -> None:
        self._worker.join(timeout)

    def _on_job(self, old: JSON | None, new: JSON | None) -> None:
        if new is None:
            if old is not None:
                self._expectations.forget(str(old["metadata"].get("uid")))
            return
        self._queue.add(object_key(new))

    def _on_pod(self, old: JSON | None, new: JSON | None) -> None:
        pod = new if new is not None else old
        if pod is None:
            return
        owner = controller_owner(pod)
        if owner is None or owner.get("kind") != "Job":
            return
        gone = new is None or bool(new["metadata"].get("deletionTimestamp"))
        self._expectations.observe(str(owner.get("uid")), pod_name(pod), gone=gone)
        namespace = pod["metadata"].get("namespace") or ""
        self._queue.add(f"{namespace}/{owner.get('name')}")

    def sync(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        uid = str(job["metadata"].get("uid"))
        if not self._expectations.satisfied(uid):
            return
        pods = self._pods.owned_by(uid)
        actions = reconcile_job(job, pods, self._clock.now(), self._backoff)
        namespace = str(job["metadata"].get("namespace"))

        deleted = self._delete_pods(job, namespace, actions.pods_to_delete)
        created = self._create_pods(job, namespace, actions.pods_to_create)
        self._expectations.expect(uid, created, deleted)

        if actions.status != (job.get("status") or {}):
            updated = copy.deepcopy(job)
            updated["status"] = actions.status
            try:
                self._api.update(
                    "jobs", namespace, job["metadata"]["name"], updated, subresource="status"
                )
            except ApiError as error:
                if error.code != 404:
                    # 409: our cache was stale; the watch brings the newer Job and a new sync.
                    self._queue.add_after(key, 0.5)
                return
        for event in actions.events:
            self._events.record(job, event.type, event.reason, event.message)
        if actions.requeue_after is not None:
            self._queue.add_after(key, actions.requeue_after)

    def _delete_pods(self, job: JSON, namespace: str, names: list[str]) -> list[str]:
        deleted: list[str] = []
        for name in names:
            try:
                self._api.delete("pods", namespace, name, propagation_policy="Background")
            except ApiError as error:
                if error.code != 404:
                    log.warning("job-controller: deleting pod %s: %s", name, error.message)
                    continue
            deleted.append(name)
            self._events.record(job, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")
        return deleted

    def _create_pods(self, job: JSON, namespace: str, bodies: list[JSON]) -> list[str]:
        created: list[str] = []
        for body in bodies:
            try:
                pod = self._api.create("pods", namespace, body)
            except ApiError as error:
                self._events.record(
                    job, "Warning", "FailedCreate", f"Error creating: {error.message}"
                )
                self._queue.add_after(object_key(job), 1.0)
                break
            name = pod_name(pod)
            created.append(name)
            self._events.record(job, "Normal", "SuccessfulCreate", f"Created pod: {name}")
        return created
