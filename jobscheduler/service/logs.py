"""GetJobLogs: the job's pods' logs as whole-line chunks, bounded in bytes and time.

Pods are read one after another, oldest first (a retry's pod after the one it replaced). With
``follow`` the stream stays open while the job runs, picking up pods the job controller
creates later (retries, parallel pods), and ends when the job is final and every pod has been
read, when the byte or time budget is spent, or when the caller goes away: that is noticed
within half a second, even while a followed container prints nothing. With ``previous`` only
the earlier attempts are read: failed pods that a newer pod replaced.

Pods that are gone (or going) are read from the logs the service kept of them
(``service.keptlogs``), first and marked ``kept``; a job that ran but has neither pods nor
kept logs left is ``FAILED_PRECONDITION`` saying that nothing was kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes.base import job_container
from jobscheduler.jobtypes.metadata import (
    FIRST_STARTED_AT_ANNOTATION,
    JOB_TYPE_LABEL,
    POD_JOB_NAME_LABEL,
)
from jobscheduler.kube import JOBS, PODS, JobReader
from jobscheduler.kube.resources import CONFIGMAPS
from jobscheduler.service import keptlogs
from jobscheduler.service.jobinfo import parse_time
from jobscheduler.service.keptlogs import KeptPod
from jobscheduler.service.status import is_final, job_state

JSON = dict[str, Any]
# Pause between looks for pods that have not started yet (follow mode).
_POD_POLL_SECONDS = 0.2


@dataclass
class _Budget:
    bytes_left: int
    give_up_at: float
    is_active: Callable[[], bool]

    def ok(self) -> bool:
        return self.bytes_left > 0 and time.monotonic() < self.give_up_at and self.is_active()

    def seconds_left(self) -> float:
        return max(0.1, self.give_up_at - time.monotonic())


class LogStreamer:
    def __init__(self, reader: JobReader, settings: Settings, now: Callable[[], datetime]) -> None:
        self._reader = reader
        self._settings = settings
        self._now = now

    def stream(
        self,
        namespace: str,
        job: JSON,
        req: pb.GetJobLogsRequest,
        is_active: Callable[[], bool],
    ) -> Iterator[pb.LogChunk]:
        """Reads the job's pods and kept logs before it returns, so a job with neither
        left is ``FAILED_PRECONDITION`` saying so, not an empty stream."""
        max_bytes = self._settings.log_stream_max_bytes
        budget = _Budget(
            bytes_left=min(req.limit_bytes, max_bytes) if req.limit_bytes > 0 else max_bytes,
            give_up_at=time.monotonic() + self._settings.log_stream_max_seconds,
            is_active=is_active,
        )
        job_name = str(job["metadata"]["name"])
        pods = job_pods(self._reader, namespace, job_name)
        present = {
            pod["metadata"]["name"] for pod in pods if not pod["metadata"].get("deletionTimestamp")
        }
        # A kept pod is read from what was kept once it is gone or going (cancel, suspend).
        gone = [kept for kept in self._kept(namespace, job) if kept.name not in present]
        final = is_final(job_state(job).status)
        nothing_left = not pods and not gone and not req.previous and (final or not req.follow)
        if nothing_left and _has_run(job):
            raise errors.FailedPrecondition(self._nothing_kept(job))
        if req.previous:
            return self._previous_attempts(namespace, pods, gone, req, budget)
        return self._chunks(namespace, job_name, req, budget, listed=pods, gone=gone, final=final)

    def _chunks(
        self,
        namespace: str,
        job_name: str,
        req: pb.GetJobLogsRequest,
        budget: _Budget,
        *,
        listed: list[JSON] | None,
        gone: list[KeptPod],
        final: bool,
    ) -> Iterator[pb.LogChunk]:
        """``listed``: the pods read after the job was found ``final`` (or not)."""
        final_when_listed = final
        for kept in gone:  # older than the pods still there: they were stopped first
            if not budget.ok():
                return
            yield from self._kept_chunks(kept, req, budget)
        done = {kept.name for kept in gone}
        while budget.ok():
            # Read the job's state before listing its pods: once final, it starts no more
            # pods, so that list is complete.
            if listed is None:
                final = req.follow and self._job_final(namespace, job_name)
                listed = job_pods(self._reader, namespace, job_name)
            else:
                final = req.follow and final_when_listed  # the job was read before the list
            waiting_for_pod = False
            for pod in listed:
                name = pod["metadata"]["name"]
                if name in done:
                    continue
                phase = pod_phase(pod)
                if phase == "Pending":
                    if req.follow and not final:
                        waiting_for_pod = True  # keep pod order: wait for this one to start
                        break
                    done.add(name)
                    continue
                follow = req.follow and phase == "Running"
                yield from self._pod_chunks(namespace, pod, req, follow, budget)
                done.add(name)
                if not budget.ok():
                    return
            listed = None
            if not req.follow:
                return
            if final and not waiting_for_pod:
                return
            time.sleep(_POD_POLL_SECONDS)

    def _previous_attempts(
        self,
        namespace: str,
        pods: list[JSON],
        gone: list[KeptPod],
        req: pb.GetJobLogsRequest,
        budget: _Budget,
    ) -> Iterator[pb.LogChunk]:
        """Failed pods older than the newest one: the attempts a retry replaced."""
        attempts: list[tuple[str, str, JSON | KeptPod]] = [
            (kept.created, kept.name, kept) for kept in gone
        ]
        gone_names = {kept.name for kept in gone}
        attempts += [
            (str(pod["metadata"].get("creationTimestamp", "")), pod["metadata"]["name"], pod)
            for pod in pods
            if pod["metadata"]["name"] not in gone_names
        ]
        attempts.sort(key=lambda attempt: (attempt[0], attempt[1]))
        for _, _, attempt in attempts[:-1]:
            if not budget.ok():
                return
            if isinstance(attempt, KeptPod):
                if attempt.phase == "Failed":
                    yield from self._kept_chunks(attempt, req, budget)
            elif pod_phase(attempt) == "Failed":
                yield from self._pod_chunks(namespace, attempt, req, False, budget)

    def _kept(self, namespace: str, job: JSON) -> list[KeptPod]:
        metadata = job.get("metadata") or {}
        name = keptlogs.configmap_name(str(metadata.get("name", "")))
        try:
            configmap = self._reader.get(CONFIGMAPS, namespace, name)
        except errors.NotFound:
            return []
        return keptlogs.kept_pods(configmap, str(metadata.get("uid", ""))) or []

    def _kept_chunks(
        self, kept: KeptPod, req: pb.GetJobLogsRequest, budget: _Budget
    ) -> Iterator[pb.LogChunk]:
        """One chunk, empty when the pod printed nothing: the caller still learns it was kept.
        ``since_seconds`` skips pods kept before that window (their lines are older still);
        the lines of a pod kept inside it carry no times, so all of them are sent."""
        if req.since_seconds and kept.kept_at:
            kept_at = parse_time(kept.kept_at)
            if kept_at and kept_at < self._now() - timedelta(seconds=req.since_seconds):
                return
        text = kept.text
        if req.tail_lines:
            text = "".join(text.splitlines(keepends=True)[-req.tail_lines :])
        chunk = _chunk(kept.name, text.encode(), budget)
        chunk.kept = True
        yield chunk

    def _nothing_kept(self, job: JSON) -> str:
        name = job["metadata"]["name"]
        state = pb.JobStatus.Name(job_state(job).status).removeprefix("JOB_STATUS_").lower()
        if self._settings.kept_logs_bytes_per_pod and self._settings.kept_logs_max_pods:
            why = (
                "a pod's logs are kept when its job finishes, is cancelled or is suspended, "
                "if the pod had started by then"
            )
        else:
            why = "this server keeps no logs (KEPT_LOGS_BYTES_PER_POD or KEPT_LOGS_MAX_PODS is 0)"
        return f"job {name!r} is {state} and its pods are gone; no logs of them were kept ({why})"

    def _pod_chunks(
        self,
        namespace: str,
        pod_obj: JSON,
        req: pb.GetJobLogsRequest,
        follow: bool,
        budget: _Budget,
    ) -> Iterator[pb.LogChunk]:
        pending = b""
        pod = pod_obj["metadata"]["name"]
        try:
            for raw in self._reader.stream_pod_log(
                namespace,
                pod,
                container=container_name(pod_obj),
                follow=follow,
                tail_lines=req.tail_lines or None,
                since_seconds=req.since_seconds or None,
                limit_bytes=budget.bytes_left,
                read_timeout_seconds=budget.seconds_left()
                if follow
                else self._settings.k8s_request_timeout_seconds,
                keep_going=budget.ok,
            ):
                pending += raw
                cut = pending.rfind(b"\n") + 1
                if cut:
                    text, pending = pending[:cut], pending[cut:]
                    yield _chunk(pod, text, budget)
                if not budget.ok():
                    return
        except errors.InvalidArgument:
            # The kubelet answers 400 for a container that has not started (or was never
            # created because the pod was deleted): nothing to read from this pod.
            pass
        except errors.NotFound:
            pass  # the pod went away (TTL, retry cleanup) while we were reading
        if pending and budget.bytes_left > 0:
            yield _chunk(pod, pending, budget)

    def _job_final(self, namespace: str, job_name: str) -> bool:
        try:
            return is_final(job_state(self._reader.get(JOBS, namespace, job_name)).status)
        except errors.NotFound:
            return True


def job_pods(reader: JobReader, namespace: str, job_name: str) -> list[JSON]:
    """The job's pods, oldest first."""
    selector = f"{POD_JOB_NAME_LABEL}={job_name}"
    page = reader.list(PODS, namespace, label_selector=selector)
    pods: list[JSON] = page.get("items") or []
    pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
    return pods


def _has_run(job: JSON) -> bool:
    """Whether the job ever started pods (a suspended Job loses its startTime; the service
    keeps the first one in an annotation)."""
    status = job.get("status") or {}
    annotations = (job.get("metadata") or {}).get("annotations") or {}
    return bool(
        status.get("startTime")
        or annotations.get(FIRST_STARTED_AT_ANNOTATION)
        or status.get("succeeded")
        or status.get("failed")
    )


def container_name(pod: JSON) -> str | None:
    """The job's container (named after its job type), asked for by name: a pod with sidecars
    (service meshes inject them) has more than one."""
    containers = (pod.get("spec") or {}).get("containers") or []
    job_type = ((pod.get("metadata") or {}).get("labels") or {}).get(JOB_TYPE_LABEL, "")
    return job_container(containers, job_type).get("name") or None


def pod_phase(pod: JSON) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def _chunk(pod: str, data: bytes, budget: _Budget) -> pb.LogChunk:
    text = data[: max(budget.bytes_left, 0)]
    budget.bytes_left -= len(text)
    return pb.LogChunk(pod_name=pod, text=text.decode("utf-8", "replace"))
