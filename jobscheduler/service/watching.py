"""WatchJob and WatchJobs: Kubernetes watches turned into JobEvents of real state changes.

Each stream starts from the resourceVersion of a read, so nothing between the read and the
watch is missed. Kubernetes ends a watch after ``timeout_seconds`` (we re-watch from the last
version seen, checking ``is_active`` in between) or expires it (410): then we read again, emit
whatever changed meanwhile (including a final state) and watch on from the new version. A
connection that breaks off is re-opened from the last version seen, a few times in a row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.kube import KubeGateway, ResourceExpired
from jobscheduler.service.jobinfo import job_info_from_job
from jobscheduler.service.status import is_final

log = logging.getLogger(__name__)
JSON = dict[str, Any]
# A watch connection that breaks off (API server restart, load balancer) is re-opened from the
# last version seen; only this many breaks in a row, with no event between, fail the stream.
MAX_CONSECUTIVE_BREAKS = 3
_BREAK_BACKOFF_SECONDS = 0.1
INITIAL, CHANGED, DELETED = (
    pb.JobEvent.TYPE_INITIAL,
    pb.JobEvent.TYPE_CHANGED,
    pb.JobEvent.TYPE_DELETED,
)


def state_key(info: pb.JobInfo) -> tuple[int, str, int, int, int]:
    """What counts as a change worth an event: status, reason and pod counts."""
    return (info.status, info.reason, info.active, info.succeeded, info.failed)


def _event(kind: int, info: pb.JobInfo) -> pb.JobEvent:
    return pb.JobEvent(type=kind, job=info)  # type: ignore[arg-type]


def _version(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class JobWatcher:
    def __init__(
        self,
        gateway: KubeGateway,
        registry: HandlerRegistry,
        *,
        poll_seconds: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gateway = gateway
        self._registry = registry
        # Server-side timeout of each watch request: how long is_active may go unchecked.
        self._poll_seconds = poll_seconds
        self._sleep = sleep

    def _after_break(self, breaks: int, exc: errors.Unavailable, what: str) -> None:
        """Pause before re-watching after the ``breaks``-th break in a row, or give up."""
        if breaks > MAX_CONSECUTIVE_BREAKS:
            raise exc
        log.info("watch of %s broke off (%s); resuming", what, exc.message)
        self._sleep(_BREAK_BACKOFF_SECONDS * 2 ** (breaks - 1))

    def watch_one(
        self, namespace: str, name: str, job: JSON, is_active: Callable[[], bool]
    ) -> Iterator[pb.JobEvent]:
        """Events of one Job (already read as ``job``) until it reaches a final state."""
        last = job_info_from_job(job, self._registry)
        yield _event(INITIAL, last)
        version = _version(job)
        breaks = 0
        while not is_final(last.status) and is_active():
            try:
                for event in self._gateway.watch_jobs(
                    namespace,
                    resource_version=version,
                    field_selector=f"metadata.name={name}",
                    timeout_seconds=self._poll_seconds,
                ):
                    obj = event.get("object") or {}
                    version = _version(obj) or version
                    breaks = 0
                    if event.get("type") == "BOOKMARK":
                        continue
                    info = job_info_from_job(obj, self._registry)
                    if event.get("type") == "DELETED":
                        yield _event(DELETED, info)
                        return
                    if state_key(info) != state_key(last):
                        yield _event(CHANGED, info)
                    last = info
                    if is_final(last.status) or not is_active():
                        return
            except errors.Unavailable as exc:
                breaks += 1
                self._after_break(breaks, exc, f"job {namespace}/{name}")
            except ResourceExpired:
                log.info("watch of job %s/%s expired; reading it again", namespace, name)
                try:
                    job = self._gateway.get_job(namespace, name)
                except errors.NotFound:
                    yield _event(DELETED, last)
                    return
                version = _version(job)
                info = job_info_from_job(job, self._registry)
                if state_key(info) != state_key(last):
                    yield _event(CHANGED, info)
                last = info

    def watch_many(
        self,
        namespace: str,
        selector: str,
        status_filter: set[int],
        is_active: Callable[[], bool],
    ) -> Iterator[pb.JobEvent]:
        """INITIAL for every matching job, then CHANGED/DELETED as they happen, until
        ``is_active`` turns false."""
        known, version = self._list_all(namespace, selector)

        def wanted(info: pb.JobInfo) -> bool:
            return not status_filter or info.status in status_filter

        for info in known.values():
            if wanted(info):
                yield _event(INITIAL, info)
        breaks = 0
        while is_active():
            try:
                for event in self._gateway.watch_jobs(
                    namespace,
                    resource_version=version,
                    label_selector=selector,
                    timeout_seconds=self._poll_seconds,
                ):
                    obj = event.get("object") or {}
                    version = _version(obj) or version
                    breaks = 0
                    if event.get("type") == "BOOKMARK":
                        continue
                    info = job_info_from_job(obj, self._registry)
                    previous = known.get(info.job_id)
                    if event.get("type") == "DELETED":
                        known.pop(info.job_id, None)
                        if previous is not None and wanted(previous):
                            yield _event(DELETED, info)
                    else:
                        known[info.job_id] = info
                        if (previous is None or state_key(previous) != state_key(info)) and wanted(
                            info
                        ):
                            yield _event(CHANGED, info)
                    if not is_active():
                        return
            except errors.Unavailable as exc:
                breaks += 1
                self._after_break(breaks, exc, f"jobs in {namespace}")
            except ResourceExpired:
                log.info("watch of jobs in %s expired; listing them again", namespace)
                current, version = self._list_all(namespace, selector)
                for job_id, info in known.items():
                    if job_id not in current and wanted(info):
                        yield _event(DELETED, info)
                for job_id, info in current.items():
                    previous = known.get(job_id)
                    if (previous is None or state_key(previous) != state_key(info)) and wanted(
                        info
                    ):
                        yield _event(CHANGED, info)
                known = current

    def _list_all(self, namespace: str, selector: str) -> tuple[dict[str, pb.JobInfo], str]:
        """Every matching job and the list's resourceVersion (one consistent snapshot)."""
        known: dict[str, pb.JobInfo] = {}
        continue_token, version = "", ""
        while True:
            page = self._gateway.list_jobs(
                namespace, label_selector=selector, limit=500, continue_token=continue_token
            )
            for item in page.get("items") or []:
                info = job_info_from_job(item, self._registry)
                known[info.job_id] = info
            metadata = page.get("metadata") or {}
            version = version or str(metadata.get("resourceVersion") or "")
            continue_token = metadata.get("continue") or ""
            if not continue_token:
                return known, version
