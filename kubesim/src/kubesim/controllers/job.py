"""The Job controller: runs ``reconcile_job`` for every Job whose Job or pods changed.

Like upstream it keeps "expectations": after creating or deleting pods it does not act on the
Job again until its pod cache has seen those changes, so a stale cache never makes it create
pods twice. It also removes the ``batch.kubernetes.io/job-tracking`` finalizer from its pods:
once the Job's status counts them, and at once from pods whose Job is gone or being deleted
(work keys ``pod:<namespace>/<name>``; a namespace never contains a colon).
"""

from __future__ import annotations

import copy
import logging
import threading
import time

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.events import EventRecorder
from kubesim.controllers.informer import Informer, controller_owner, object_key
from kubesim.controllers.job_logic import BackoffPolicy, reconcile_job
from kubesim.controllers.jobpods import TRACKING_FINALIZER, is_tracked, pod_name
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)

# Real seconds after which unmet expectations are dropped (a watch event was lost).
_EXPECTATION_TTL_SECONDS = 30.0
_POD_KEY = "pod:"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
_RELEASE_PATCH = {"metadata": {"$deleteFromPrimitiveList/finalizers": [TRACKING_FINALIZER]}}


class _Expectations:
    """Pod creations and deletions a Job's sync waits to see in the pod cache.

    They are recorded *before* the API calls, as upstream does, because the watch may deliver
    the change before the call returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # job uid -> (creations not yet seen, names whose deletion is not yet seen, since)
        self._pending: dict[str, tuple[int, set[str], float]] = {}

    def expect(self, job_uid: str, creations: int, deletions: list[str]) -> None:
        if not creations and not deletions:
            return
        with self._lock:
            created, deleted, _ = self._pending.get(job_uid, (0, set(), 0.0))
            self._pending[job_uid] = (
                created + creations,
                deleted | set(deletions),
                time.monotonic(),
            )

    def creation_seen(self, job_uid: str) -> None:
        with self._lock:
            entry = self._pending.get(job_uid)
            if entry is not None:
                self._pending[job_uid] = (max(0, entry[0] - 1), entry[1], entry[2])

    def deletion_seen(self, job_uid: str, name: str) -> None:
        with self._lock:
            entry = self._pending.get(job_uid)
            if entry is not None:
                entry[1].discard(name)

    def satisfied(self, job_uid: str) -> bool:
        with self._lock:
            entry = self._pending.get(job_uid)
            if entry is None:
                return True
            created, deleted, since = entry
            expired = time.monotonic() - since > _EXPECTATION_TTL_SECONDS
            if (not created and not deleted) or expired:
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
            if new is not None and is_tracked(new):
                self._queue.add(_POD_KEY + object_key(new))  # orphaned: nothing counts it
            return
        uid = str(owner.get("uid"))
        if old is None and new is not None:
            self._expectations.creation_seen(uid)
        if new is None or new["metadata"].get("deletionTimestamp"):
            self._expectations.deletion_seen(uid, pod_name(pod))
        namespace = pod["metadata"].get("namespace") or ""
        job_key = f"{namespace}/{owner.get('name')}"
        if new is not None and is_tracked(new) and self._live_job(job_key, uid) is None:
            self._queue.add(_POD_KEY + object_key(new))
        self._queue.add(job_key)

    def _live_job(self, key: str, uid: str) -> JSON | None:
        """The Job ``key`` if it is the one with ``uid`` and not being deleted."""
        job = self._jobs.get(key)
        if job is None or str(job["metadata"].get("uid")) != uid:
            return None
        return None if job["metadata"].get("deletionTimestamp") else job

    def sync(self, key: str) -> None:
        if key.startswith(_POD_KEY):
            self._release_if_unowned(key.removeprefix(_POD_KEY))
            return
        job = self._jobs.get(key)
        if job is None:
            return
        uid = str(job["metadata"].get("uid"))
        if job["metadata"].get("deletionTimestamp"):
            # Its pods must be able to go with it (the garbage collector deletes them).
            self._release(str(job["metadata"].get("namespace")), self._pods.owned_by(uid))
            return
        if not self._expectations.satisfied(uid):
            return
        pods = self._pods.owned_by(uid)
        actions = reconcile_job(job, pods, self._clock.now(), self._backoff)
        namespace = str(job["metadata"].get("namespace"))

        self._expectations.expect(uid, len(actions.pods_to_create), actions.pods_to_delete)
        self._delete_pods(job, namespace, actions.pods_to_delete)
        self._create_pods(job, namespace, actions.pods_to_create)

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
        released = set(actions.pods_to_release)
        self._release(namespace, [pod for pod in pods if pod_name(pod) in released])
        for event in actions.events:
            self._events.record(job, event.type, event.reason, event.message)
        if actions.requeue_after is not None:
            self._queue.add_after(key, actions.requeue_after)

    def _release_if_unowned(self, pod_key: str) -> None:
        pod = self._pods.get(pod_key)
        if pod is None or not is_tracked(pod):
            return
        owner = controller_owner(pod)
        namespace = str(pod["metadata"].get("namespace"))
        owner = owner if owner is not None and owner.get("kind") == "Job" else {}
        if owner and self._live_job(f"{namespace}/{owner.get('name')}", str(owner.get("uid"))):
            return  # its Job counts it and releases it
        self._release(namespace, [pod])

    def _release(self, namespace: str, pods: list[JSON]) -> None:
        """Remove the tracking finalizer (a strategic merge patch, as upstream sends)."""
        for pod in pods:
            if not is_tracked(pod):
                continue
            try:
                self._api.patch(
                    "pods", namespace, pod_name(pod), _RELEASE_PATCH, STRATEGIC_MERGE_PATCH
                )
            except ApiError as error:
                if error.code != 404:
                    log.warning("job-controller: releasing %s: %s", pod_name(pod), error.message)

    def _delete_pods(self, job: JSON, namespace: str, names: list[str]) -> None:
        uid = str(job["metadata"].get("uid"))
        for name in names:
            try:
                self._api.delete("pods", namespace, name, propagation_policy="Background")
            except ApiError as error:
                # Already gone (404) or not deletable: either way, nothing more to wait for.
                self._expectations.deletion_seen(uid, name)
                if error.code != 404:
                    log.warning("job-controller: deleting pod %s: %s", name, error.message)
                continue
            self._events.record(job, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")

    def _create_pods(self, job: JSON, namespace: str, bodies: list[JSON]) -> None:
        uid = str(job["metadata"].get("uid"))
        for position, body in enumerate(bodies):
            try:
                pod = self._api.create("pods", namespace, body)
            except ApiError as error:
                for _ in bodies[position:]:
                    self._expectations.creation_seen(uid)  # none of these will appear
                self._events.record(
                    job, "Warning", "FailedCreate", f"Error creating: {error.message}"
                )
                self._queue.add_after(object_key(job), 1.0)
                return
            self._events.record(job, "Normal", "SuccessfulCreate", f"Created pod: {pod_name(pod)}")
