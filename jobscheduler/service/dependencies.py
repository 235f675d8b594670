"""Job dependencies: checking them when a dependent is scheduled, and releasing (or cancelling)
dependents when their dependencies finish.

A dependent is a suspended Job labelled as waiting (``jobtypes.dependson``). The release sweep
(``service.release``) lists the waiting jobs and, for each, reads its dependencies: when every
condition holds it releases the job; when one no longer can (the dependency ended otherwise,
was cancelled, or deleted) it cancels the job with reason DependencyFailed, and then looks up
that job's own dependents by label so they follow in the same pass. Each change is a patch with
the resourceVersion it was decided on, so of several replicas exactly one makes it.

Dependencies must exist when the dependent is created (ScheduleJobs creates a batch in
dependency order, see ``BatchOrder``), so no cycle can form; their uids are recorded, so a
dependency deleted and created again under its id counts as deleted.
"""

from __future__ import annotations

import graphlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes import dependson
from jobscheduler.jobtypes.dependson import Dependency
from jobscheduler.jobtypes.metadata import START_AT_LABEL
from jobscheduler.kube import JOBS, JobReader, KubeGateway
from jobscheduler.service.lifecycle import cancellation_patch
from jobscheduler.service.status import job_state

log = logging.getLogger(__name__)
JSON = dict[str, Any]
ListWaiting = Callable[[str], list[JSON]]


# ---- when a dependent is scheduled ------------------------------------------------------------


def creation_annotations(
    reader: JobReader, namespace: str, req: pb.ScheduleJobRequest
) -> dict[str, str]:
    """The uids of the request's dependencies, checked to exist as jobs in ``namespace``.
    Refuses (INVALID_ARGUMENT naming ``depends_on[j]``) one in another namespace or missing."""
    if not req.depends_on:
        return {}
    violations: list[FieldViolation] = []
    uids: dict[str, str] = {}
    for index, dependency in enumerate(req.depends_on):
        field = f"depends_on[{index}]"
        if dependency.namespace and dependency.namespace != namespace:
            violations.append(
                FieldViolation(
                    f"{field}.namespace",
                    f"must be the job's own namespace {namespace!r}: jobs depend only on jobs "
                    "in their namespace",
                )
            )
            continue
        try:
            found = reader.get(JOBS, namespace, dependency.job_id)
        except errors.NotFound:
            violations.append(
                FieldViolation(
                    f"{field}.job_id",
                    f"no job {dependency.job_id!r} in namespace {namespace!r} (a dependency "
                    "must exist, or be scheduled in the same ScheduleJobs call; schedules "
                    "cannot be depended on)",
                )
            )
            continue
        uids[dependency.job_id] = str(found["metadata"].get("uid") or "")
    if violations:
        raise InvalidArgument(violations)
    return {dependson.DEPENDENCY_UIDS_ANNOTATION: json.dumps(uids, separators=(",", ":"))}


# ---- ScheduleJobs: creating a batch in dependency order ---------------------------------------


class BatchOrder:
    """Which requests of a batch may start: a request waits for the batch requests it depends
    on (matched by namespace and job_id). A cycle refuses the whole batch."""

    def __init__(self, requests: Sequence[pb.ScheduleJobRequest]) -> None:
        by_id = {(r.namespace, r.job_id): i for i, r in enumerate(requests) if r.job_id}
        self._blockers: list[dict[int, int]] = []  # per request: {batch index: depends_on index}
        for req in requests:
            blockers: dict[int, int] = {}
            for j, dep in enumerate(req.depends_on):
                mate = by_id.get((dep.namespace or req.namespace, dep.job_id))
                if mate is not None and requests[mate] is not req:
                    blockers.setdefault(mate, j)
            self._blockers.append(blockers)
        if cycle := self._cycle():
            raise InvalidArgument([self._cycle_violation(requests, cycle)])
        self._dependents: list[list[int]] = [[] for _ in requests]
        for index, blockers in enumerate(self._blockers):
            for mate in blockers:
                self._dependents[mate].append(index)
        self._open = [len(b) for b in self._blockers]
        self._failed: dict[int, str] = {}
        self._ready = [i for i, count in enumerate(self._open) if count == 0]
        self._ready.reverse()  # popped from the end: request order

    def _cycle(self) -> list[int]:
        """Request indices along a cycle, each depending on the next, the first repeated at
        the end; [] when there is none."""
        graph = {index: set(blockers) for index, blockers in enumerate(self._blockers)}
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as cycle:
            # CycleError lists each node before the one that depends on it.
            return list(reversed(cycle.args[1]))
        return []

    def _cycle_violation(
        self, requests: Sequence[pb.ScheduleJobRequest], cycle: list[int]
    ) -> FieldViolation:
        first, second = cycle[0], cycle[1]
        names = " -> ".join(requests[i].job_id for i in cycle)
        return FieldViolation(
            f"requests[{first}].depends_on[{self._blockers[first][second]}]",
            f"the batch's dependencies form a cycle ({names}, each depending on the next)",
        )

    def next_ready(self) -> int | None:
        return self._ready.pop() if self._ready else None

    def blocked_by(self, index: int) -> str | None:
        """Why the request cannot be scheduled: a batch dependency it needs was not."""
        return self._failed.get(index)

    def finished(
        self, index: int, scheduled: bool, requests: Sequence[pb.ScheduleJobRequest]
    ) -> None:
        for dependent in self._dependents[index]:
            if not scheduled and dependent not in self._failed:
                self._failed[dependent] = (
                    f"not scheduled: its dependency {requests[index].job_id!r} "
                    f"(requests[{index}]) was not"
                )
            self._open[dependent] -= 1
            if self._open[dependent] == 0:
                self._ready.append(dependent)

    def has_ready(self) -> bool:
        return bool(self._ready)


# ---- the release sweep ------------------------------------------------------------------------


class DependencyReleaser:
    """One pass over the waiting jobs: release those whose dependencies allow, cancel those
    whose dependencies no longer can."""

    def __init__(self, gateway: KubeGateway, reader: JobReader) -> None:
        self._gateway = gateway
        self._reader = reader

    def release_ready(self, list_waiting: ListWaiting, now: datetime) -> int:
        """Jobs released. ``list_waiting(selector)`` lists our Jobs matching ``selector``."""
        released = 0
        states: dict[tuple[str, str], tuple[int, str]] = {}  # (namespace, id): (status, uid)
        queue = list_waiting(f"{dependson.WAITING_LABEL}=true")
        while queue:
            cancelled: list[JSON] = []
            for job in queue:
                outcome = self._decide(job, states, now)
                if outcome == "released":
                    released += 1
                elif outcome == "cancelled":
                    cancelled.append(job)
            # The dependents of what was just cancelled follow in this pass, found by label.
            queue = [
                dependent
                for job in cancelled
                for dependent in list_waiting(
                    f"{dependson.WAITING_LABEL}=true,"
                    + dependson.dependents_selector(job["metadata"]["name"])
                )
                if dependent["metadata"]["namespace"] == job["metadata"]["namespace"]
            ]
        return released

    def _dependency_state(
        self, namespace: str, job_id: str, states: dict[tuple[str, str], tuple[int, str]]
    ) -> tuple[int, str] | None:
        key = (namespace, job_id)
        if key not in states:
            try:
                found = self._reader.get(JOBS, namespace, job_id)
            except errors.NotFound:
                return None
            states[key] = (job_state(found).status, str(found["metadata"].get("uid") or ""))
        return states[key]

    def _decide(
        self, job: JSON, states: dict[tuple[str, str], tuple[int, str]], now: datetime
    ) -> str:
        metadata = job["metadata"]
        namespace, name = metadata["namespace"], metadata["name"]
        annotations = metadata.get("annotations") or {}
        if not (job.get("spec") or {}).get("suspend"):
            return "skipped"  # resumed by hand (which also drops the waiting label)
        uids = dependson.stored_mapping(annotations, dependson.DEPENDENCY_UIDS_ANNOTATION)
        met = dependson.stored_mapping(annotations, dependson.DEPENDENCIES_MET_ANNOTATION)
        newly_met: dict[str, str] = {}
        waiting = False
        for dependency in dependson.unmet(annotations):
            seen = self._dependency_state(namespace, dependency.job_id, states)
            if seen is None or (uids.get(dependency.job_id) and seen[1] != uids[dependency.job_id]):
                return self._cancel(job, dependency, "was deleted", states, now)
            status, _ = seen
            if status in dependson.SATISFYING_STATES[dependency.condition]:
                newly_met[dependency.job_id] = _status_word(status)
            elif status in (pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED):
                return self._cancel(job, dependency, _status_word(status), states, now)
            else:
                waiting = True
        if not newly_met and waiting:
            return "waiting"
        met_annotation = json.dumps(met | newly_met, separators=(",", ":"))
        patch: JSON = {
            "metadata": {
                "resourceVersion": metadata["resourceVersion"],
                "annotations": {dependson.DEPENDENCIES_MET_ANNOTATION: met_annotation},
            }
        }
        if not waiting:
            patch["metadata"]["labels"] = {dependson.WAITING_LABEL: None}
            if START_AT_LABEL not in (metadata.get("labels") or {}):
                patch["spec"] = {"suspend": False}  # else the start time releases it
        if not self._patch(namespace, name, patch):
            return "skipped"
        return "waiting" if waiting else "released"

    def _cancel(
        self,
        job: JSON,
        dependency: Dependency,
        what_happened: str,
        states: dict[tuple[str, str], tuple[int, str]],
        now: datetime,
    ) -> str:
        metadata = job["metadata"]
        patch = cancellation_patch(job, now)
        patch["metadata"]["resourceVersion"] = metadata["resourceVersion"]
        patch["metadata"]["annotations"] |= {
            dependson.CANCELLED_REASON_ANNOTATION: dependson.FAILED_REASON,
            dependson.CANCELLED_MESSAGE_ANNOTATION: (
                f"dependency {dependency.job_id!r} {what_happened}; "
                f"this job needed it {dependency.condition}"
            ),
        }
        if not self._patch(metadata["namespace"], metadata["name"], patch):
            return "skipped"
        states[(metadata["namespace"], metadata["name"])] = (
            pb.JOB_STATUS_CANCELLED,
            str(metadata.get("uid") or ""),
        )
        return "cancelled"

    def _patch(self, namespace: str, name: str, patch: JSON) -> bool:
        try:
            self._gateway.patch(JOBS, namespace, name, patch)
            return True
        except (errors.Conflict, errors.NotFound):
            return False  # another replica decided (or someone changed/deleted) it first
        except (errors.PermissionDenied, errors.FailedPrecondition) as exc:
            log.warning("could not release dependent job %s/%s: %s", namespace, name, exc.message)
            return False


def _status_word(status: int) -> str:
    return pb.JobStatus.Name(status).removeprefix("JOB_STATUS_").lower()
