"""GetJobLogs: the job's pods' logs as whole-line chunks, bounded in bytes and time.

Pods are read one after another, oldest first (a retry's pod after the one it replaced). With
``follow`` the stream stays open while the job runs, picking up pods the job controller
creates later (retries, parallel pods), and ends when the job is final and every pod has been
read, when the byte or time budget is spent, or when the caller goes away: that is noticed
within half a second, even while a followed container prints nothing. With ``previous`` only
the earlier attempts are read: failed pods that a newer pod replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes.base import job_container
from jobscheduler.jobtypes.metadata import JOB_TYPE_LABEL, POD_JOB_NAME_LABEL
from jobscheduler.kube import JOBS, PODS, JobReader
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
    def __init__(self, reader: JobReader, settings: Settings) -> None:
        self._reader = reader
        self._settings = settings

    def stream(
        self,
        namespace: str,
        job_name: str,
        req: pb.GetJobLogsRequest,
        is_active: Callable[[], bool],
    ) -> Iterator[pb.LogChunk]:
        max_bytes = self._settings.log_stream_max_bytes
        budget = _Budget(
            bytes_left=min(req.limit_bytes, max_bytes) if req.limit_bytes > 0 else max_bytes,
            give_up_at=time.monotonic() + self._settings.log_stream_max_seconds,
            is_active=is_active,
        )
        if req.previous:
            yield from self._previous_attempts(namespace, job_name, req, budget)
            return
        done: set[str] = set()
        while budget.ok():
            # Read the job's state before listing its pods: once final, it starts no more
            # pods, so that list is complete.
            final = req.follow and self._job_final(namespace, job_name)
            waiting_for_pod = False
            for pod in self._pods(namespace, job_name):
                name = pod["metadata"]["name"]
                if name in done:
                    continue
                phase = _phase(pod)
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
            if not req.follow:
                return
            if final and not waiting_for_pod:
                return
            time.sleep(_POD_POLL_SECONDS)

    def _previous_attempts(
        self, namespace: str, job_name: str, req: pb.GetJobLogsRequest, budget: _Budget
    ) -> Iterator[pb.LogChunk]:
        """Failed pods older than the newest one: the attempts a retry replaced."""
        pods = self._pods(namespace, job_name)
        for pod in pods[:-1]:
            if _phase(pod) == "Failed" and budget.ok():
                yield from self._pod_chunks(namespace, pod, req, False, budget)

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
                container=_container_name(pod_obj),
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

    def _pods(self, namespace: str, job_name: str) -> list[JSON]:
        selector = f"{POD_JOB_NAME_LABEL}={job_name}"
        page = self._reader.list(PODS, namespace, label_selector=selector)
        pods: list[JSON] = page.get("items") or []
        pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
        return pods

    def _job_final(self, namespace: str, job_name: str) -> bool:
        try:
            return is_final(job_state(self._reader.get(JOBS, namespace, job_name)).status)
        except errors.NotFound:
            return True


def _container_name(pod: JSON) -> str | None:
    """The job's container (named after its job type), asked for by name: a pod with sidecars
    (service meshes inject them) has more than one."""
    containers = (pod.get("spec") or {}).get("containers") or []
    job_type = ((pod.get("metadata") or {}).get("labels") or {}).get(JOB_TYPE_LABEL, "")
    return job_container(containers, job_type).get("name") or None


def _phase(pod: JSON) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def _chunk(pod: str, data: bytes, budget: _Budget) -> pb.LogChunk:
    text = data[: max(budget.bytes_left, 0)]
    budget.bytes_left -= len(text)
    return pb.LogChunk(pod_name=pod, text=text.decode("utf-8", "replace"))
