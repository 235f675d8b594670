"""WatchJob and WatchJobs: Kubernetes watches turned into JobEvents of real state changes.

Both are one loop (client-go's reflector, kopf's ``watching.py``): start from the
resourceVersion of a read, so nothing between the read and the watch is missed; re-watch from
the last version seen when Kubernetes ends a watch after ``timeout_seconds`` (checking
``is_active`` in between); when it expires one (410), list again, report whatever changed
meanwhile (including a final state) and watch on from the list's version. When the API is
unreachable the loop backs off (0.8 s doubling to 30 s, with jitter, reset after a minute of
health) and resumes from the last version seen; only an outage longer than
``MAX_OUTAGE_SECONDS`` fails the stream with UNAVAILABLE.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from jobscheduler import errors, metrics
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.backoff import Backoff
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.kube import JOBS, JobReader, ResourceExpired

# The cache's informers back off the same way (client-go's reflector: 0.8 s to 30 s, reset
# after a healthy minute).
from jobscheduler.kube.cache.informer import HEALTHY_RESET_SECONDS, WATCH_BACKOFF
from jobscheduler.service.jobinfo import job_info_from_job
from jobscheduler.service.status import is_final

log = logging.getLogger(__name__)
JSON = dict[str, Any]
IsActive = Callable[[], bool]
# How long the API may stay unreachable before the stream gives up with UNAVAILABLE: the
# caller should learn that its watch is blind rather than wait on it forever.
MAX_OUTAGE_SECONDS = 300.0
# A wait between retries checks this often whether the caller is still there.
_ACTIVE_POLL_SECONDS = 0.5
LIST_PAGE_SIZE = 500
INITIAL, CHANGED, DELETED = (
    pb.JobEvent.TYPE_INITIAL,
    pb.JobEvent.TYPE_CHANGED,
    pb.JobEvent.TYPE_DELETED,
)
# (event type, the job's info, what was known of it before: None for a new job)
Change = tuple[int, pb.JobInfo, pb.JobInfo | None]
Pause = Callable[[float, IsActive], None]


def state_key(info: pb.JobInfo) -> tuple[int, str, int, int, int]:
    """What counts as a change worth an event: status, reason and pod counts."""
    return (info.status, info.reason, info.active, info.succeeded, info.failed)


def _event(kind: int, info: pb.JobInfo) -> pb.JobEvent:
    return pb.JobEvent(type=kind, job=info)  # type: ignore[arg-type]


def _version(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def pause_while_active(seconds: float, is_active: IsActive) -> None:
    """Sleep ``seconds``, or less when the caller goes away meanwhile."""
    deadline = time.monotonic() + seconds
    while is_active() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, _ACTIVE_POLL_SECONDS))


class JobWatcher:
    def __init__(
        self,
        reader: JobReader,
        registry: HandlerRegistry,
        *,
        poll_seconds: int = 5,
        pause: Pause = pause_while_active,
        now: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._reader = reader
        self._registry = registry
        # Server-side timeout of each watch request: how long is_active may go unchecked.
        self._poll_seconds = poll_seconds
        self._pause = pause
        self._now = now
        self._rand = rand

    def watch_one(
        self, namespace: str, name: str, job: JSON, is_active: IsActive
    ) -> Iterator[pb.JobEvent]:
        """Events of one Job (already read as ``job``) until it reaches a final state."""
        first = job_info_from_job(job, self._registry)
        yield _event(INITIAL, first)
        if is_final(first.status):
            return
        known = {first.job_id: first}
        selector = f"metadata.name={name}"
        changes = self._changes(namespace, known, _version(job), is_active, field_selector=selector)
        with contextlib.closing(changes):
            for kind, info, _ in changes:
                yield _event(kind, info)
                if kind == DELETED or is_final(info.status):
                    return

    def watch_many(
        self,
        namespace: str | None,
        selector: str,
        status_filter: set[int],
        is_active: IsActive,
    ) -> Iterator[pb.JobEvent]:
        """INITIAL for every matching job (``namespace=None``: in every namespace), then
        CHANGED/DELETED as they happen, until ``is_active`` turns false."""
        known, version = self._list_all(namespace, selector, "")

        def wanted(info: pb.JobInfo | None) -> bool:
            return info is not None and (not status_filter or info.status in status_filter)

        for info in known.values():
            if wanted(info):
                yield _event(INITIAL, info)
        changes = self._changes(namespace, known, version, is_active, label_selector=selector)
        with contextlib.closing(changes):
            for kind, info, previous in changes:
                if wanted(previous if kind == DELETED else info):
                    yield _event(kind, info)

    def _changes(
        self,
        namespace: str | None,
        known: dict[str, pb.JobInfo],
        version: str,
        is_active: IsActive,
        *,
        label_selector: str = "",
        field_selector: str = "",
    ) -> Generator[Change, None, None]:
        """The reflector loop: every real change to the jobs the selectors match, keeping
        ``known`` (job id -> last info) current, until ``is_active`` turns false."""
        backoff = Backoff(
            WATCH_BACKOFF, reset_after_seconds=HEALTHY_RESET_SECONDS, now=self._now, rand=self._rand
        )
        where = "all namespaces" if namespace is None else namespace
        what = f"jobs in {where}" + (f" ({field_selector})" if field_selector else "")
        outage_since: float | None = None
        relist = False
        while is_active():
            try:
                if relist:
                    current, version = self._list_all(namespace, label_selector, field_selector)
                    yield from _resync(known, current)
                    relist = False
                for event in self._reader.watch(
                    JOBS,
                    namespace,
                    resource_version=version,
                    label_selector=label_selector,
                    field_selector=field_selector,
                    timeout_seconds=self._poll_seconds,
                ):
                    outage_since = None
                    obj = event.get("object") or {}
                    version = _version(obj) or version
                    if event.get("type") == "BOOKMARK":
                        continue
                    yield from _apply(known, event.get("type") == "DELETED", obj, self._registry)
                    if not is_active():
                        return
                outage_since = None  # the server ended the watch on time: a healthy round
            except errors.Unavailable as exc:
                now = self._now()
                outage_since = now if outage_since is None else outage_since
                if now - outage_since >= MAX_OUTAGE_SECONDS:
                    raise
                delay = backoff.next_delay()
                log.info("watch of %s failed (%s); retrying in %.1fs", what, exc.message, delay)
                self._pause(delay, is_active)
            except ResourceExpired:
                log.info("watch of %s expired; listing them again", what)
                relist = True

    def _list_all(
        self, namespace: str | None, label_selector: str, field_selector: str
    ) -> tuple[dict[str, pb.JobInfo], str]:
        """Every matching job and the list's resourceVersion (one consistent snapshot)."""
        known: dict[str, pb.JobInfo] = {}
        continue_token, version = "", ""
        while True:
            page = self._reader.list(
                JOBS,
                namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=LIST_PAGE_SIZE,
                continue_token=continue_token,
            )
            for item in page.get("items") or []:
                info = job_info_from_job(item, self._registry)
                known[info.job_id] = info
            metadata = page.get("metadata") or {}
            version = version or str(metadata.get("resourceVersion") or "")
            continue_token = metadata.get("continue") or ""
            if not continue_token:
                return known, version


def _apply(
    known: dict[str, pb.JobInfo], deleted: bool, obj: JSON, registry: HandlerRegistry
) -> Iterator[Change]:
    """One watch event applied to ``known``; the change it makes, if any."""
    info = job_info_from_job(obj, registry)
    # The one place job transitions are observed for the wait/run-time metrics.
    metrics.JOB_TIMINGS.observe(info)
    previous = known.get(info.job_id)
    if deleted:
        known.pop(info.job_id, None)
        if previous is not None:
            yield DELETED, info, previous
        return
    known[info.job_id] = info
    if previous is None or state_key(previous) != state_key(info):
        yield CHANGED, info, previous


def _resync(known: dict[str, pb.JobInfo], current: dict[str, pb.JobInfo]) -> Iterator[Change]:
    """What changed between ``known`` and a fresh list, applied to ``known``."""
    for job_id, info in list(known.items()):
        if job_id not in current:
            del known[job_id]
            yield DELETED, info, info
    for job_id, info in current.items():
        previous = known.get(job_id)
        known[job_id] = info
        if previous is None or state_key(previous) != state_key(info):
            yield CHANGED, info, previous
