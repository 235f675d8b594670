"""The CronJob controller: runs ``reconcile_cronjob`` when a CronJob or one of its Jobs changes,
and again at the next scheduled time."""

from __future__ import annotations

import copy
import logging

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.cronjob_logic import reconcile_cronjob
from kubesim.controllers.events import EventRecorder
from kubesim.controllers.informer import Informer, controller_owner, object_key
from kubesim.controllers.runner import QueueWorker
from kubesim.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)


class CronJobController:
    def __init__(self, api: ClusterAPI, clock: Clock, cronjobs: Informer, jobs: Informer) -> None:
        self._api = api
        self._clock = clock
        self._cronjobs = cronjobs
        self._jobs = jobs
        self._events = EventRecorder(api, clock, "cronjob-controller")
        self._queue = WorkQueue(clock)
        self._worker = QueueWorker("cronjob-controller", self._queue, self.sync)
        cronjobs.add_handler(self._on_cronjob)
        jobs.add_handler(self._on_job)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def join(self, timeout: float) -> None:
        self._worker.join(timeout)

    def _on_cronjob(self, old: JSON | None, new: JSON | None) -> None:
        if new is not None:
            self._queue.add(object_key(new))

    def _on_job(self, old: JSON | None, new: JSON | None) -> None:
        job = new if new is not None else old
        owner = controller_owner(job) if job is not None else None
        if job is not None and owner is not None and owner.get("kind") == "CronJob":
            self._queue.add(f"{job['metadata'].get('namespace')}/{owner.get('name')}")

    def sync(self, key: str) -> None:
        cronjob = self._cronjobs.get(key)
        if cronjob is None:
            return
        meta = cronjob["metadata"]
        namespace = str(meta.get("namespace"))
        jobs = self._jobs.owned_by(str(meta.get("uid")))
        try:
            actions = reconcile_cronjob(cronjob, jobs, self._clock.now())
        except (ValueError, KeyError) as error:
            # An unparsable schedule or zone: upstream records an event and waits for an edit.
            self._events.record(cronjob, "Warning", "UnparseableSchedule", str(error))
            return
        for name in actions.jobs_to_delete:
            try:
                self._api.delete("jobs", namespace, name, propagation_policy="Background")
                self._events.record(cronjob, "Normal", "SuccessfulDelete", f"Deleted job {name}")
            except ApiError as error:
                if error.code != 404:
                    log.warning("cronjob-controller: deleting job %s: %s", name, error.message)
        if actions.job_to_create is not None:
            name = actions.job_to_create["metadata"]["name"]
            try:
                created = self._api.create("jobs", namespace, actions.job_to_create)
                self._events.record(cronjob, "Normal", "SuccessfulCreate", f"Created job {name}")
                self._add_active(actions.status, created)
            except ApiError as error:
                if error.code != 409:
                    self._events.record(
                        cronjob, "Warning", "FailedCreate", f"Error creating job: {error.message}"
                    )
                    self._queue.add_after(key, 1.0)
                    return
        if actions.status != (cronjob.get("status") or {}):
            updated = copy.deepcopy(cronjob)
            updated["status"] = actions.status
            try:
                self._api.update("cronjobs", namespace, meta["name"], updated, subresource="status")
            except ApiError as error:
                if error.code != 404:
                    self._queue.add_after(key, 0.5)
                return
        for event in actions.events:
            self._events.record(cronjob, event.type, event.reason, event.message)
        if actions.requeue_after is not None:
            self._queue.add_after(key, actions.requeue_after)

    @staticmethod
    def _add_active(status: JSON, job: JSON) -> None:
        meta = job.get("metadata") or {}
        refs = [ref for ref in status.get("active") or [] if ref.get("uid") != meta.get("uid")]
        refs.append(
            {
                "kind": "Job",
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "apiVersion": "batch/v1",
                "resourceVersion": meta.get("resourceVersion"),
            }
        )
        status["active"] = refs
