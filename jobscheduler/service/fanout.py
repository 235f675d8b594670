"""WatchJob and WatchJobs streams fed by the one watch cache (client-go's shared informer).

The cache tells ``WatchHub`` every change to a Job once; the hub turns it into one JobInfo
and offers it to each open stream that matches it. Each stream has a bounded queue that
keeps only the latest state per job, so a slow reader skips intermediate states of a job but
never its final one, and memory stays bounded: a reader so slow that more distinct jobs than
the queue holds are waiting is ended with RESOURCE_EXHAUSTED-free UNAVAILABLE, naming the
resume token to continue from.

Every event carries a resume token; a stream started with one replays the changes after it
that are still in the retention window (``watch_resume_window`` changes) and goes on live. A
token from another replica, an earlier process or beyond the window starts the stream with
the current state of everything it watches instead (INITIAL events), as a new stream does.
"""

from __future__ import annotations

import collections
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jobscheduler import errors, metrics
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry
from jobscheduler.kube import JOBS
from jobscheduler.kube.cache import Change, Requirement, WatchCache
from jobscheduler.kube.cache.selectors import matches
from jobscheduler.service.readcache import explained_job_info
from jobscheduler.service.status import is_final
from jobscheduler.service.watching import CHANGED, DELETED, INITIAL, state_key

JSON = dict[str, Any]
IsActive = Callable[[], bool]
_POLL_SECONDS = 0.5  # how often a waiting stream checks whether its caller is still there


@dataclass(frozen=True)
class JobChange:
    """One change as every stream sees it (computed once, shared)."""

    seq: int
    namespace: str
    name: str
    event_type: int
    info: pb.JobInfo
    previous: pb.JobInfo | None
    labels: dict[str, str]
    # The event every stream sends: built once, not once per stream (a thousand streams
    # copied the JobInfo a thousand times). Never changed once built.
    event: pb.JobEvent


@dataclass
class StreamFilter:
    namespaces: frozenset[str] | None  # None: every namespace the cache holds
    requirements: list[Requirement]
    states: frozenset[int]
    job: tuple[str, str] | None = None  # WatchJob: exactly this one

    def wants(self, change: JobChange) -> bool:
        if self.job is not None and (change.namespace, change.name) != self.job:
            return False
        if self.namespaces is not None and change.namespace not in self.namespaces:
            return False
        if not matches(self.requirements, change.labels):
            return False
        decided_on = change.previous if change.event_type == DELETED else change.info
        return decided_on is not None and (not self.states or decided_on.status in self.states)


@dataclass
class Subscription:
    """A stream's bounded, coalescing queue: job -> its latest change, oldest first."""

    filter: StreamFilter
    capacity: int
    pending: collections.OrderedDict[tuple[str, str], JobChange] = field(
        default_factory=collections.OrderedDict
    )
    overflowed: bool = False
    ready: threading.Condition = field(default_factory=threading.Condition)

    def offer(self, change: JobChange) -> None:
        key = (change.namespace, change.name)
        with self.ready:
            if key in self.pending:
                metrics.WATCH_STREAM_COALESCED.inc()
                self.pending[key] = change  # the latest state, in the place of the first
            elif len(self.pending) >= self.capacity:
                self.overflowed = True
            else:
                self.pending[key] = change
            self.ready.notify()

    def take(self, timeout: float) -> JobChange | None:
        with self.ready:
            if not self.pending and not self.overflowed:
                self.ready.wait(timeout)
            if self.pending:
                return self.pending.popitem(last=False)[1]
            return None


class WatchHub:
    def __init__(
        self,
        cache: WatchCache,
        registry: HandlerRegistry,
        *,
        queue_size: int,
        resume_window: int,
    ) -> None:
        self._cache = cache
        self._registry = registry
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._subscriptions: set[int] = set()
        self._by_id: dict[int, Subscription] = {}
        self._seq = 0
        self._epoch = uuid.uuid4().hex[:8]  # tokens of another process are recognised
        self._recent: collections.deque[JobChange] = collections.deque(maxlen=resume_window)
        cache.add_listener(self._on_change)

    # ---- the cache's side ----------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.resource != JOBS:
            return
        current, previous = change.current, change.previous
        obj = current if current is not None else previous
        assert obj is not None
        info = explained_job_info(self._cache, self._registry, obj)
        # The one place job transitions are observed for the wait/run-time metrics (the
        # per-stream watch loop does it for namespaces the cache does not hold).
        metrics.JOB_TIMINGS.observe(info)
        before = (
            explained_job_info(self._cache, self._registry, previous)
            if previous is not None
            else None
        )
        if current is None:
            event_type = DELETED
        elif before is None or state_key(before) != state_key(info):
            event_type = CHANGED
        else:
            return  # nothing a watcher sees changed (a label, a bookkeeping field)
        labels = (obj.get("metadata") or {}).get("labels") or {}
        with self._lock:
            self._seq += 1
            event = self._event(event_type, info, self._seq)
            job_change = JobChange(
                self._seq, change.namespace, change.name, event_type, info, before, labels, event
            )
            self._recent.append(job_change)
            subscriptions = [self._by_id[i] for i in self._subscriptions]
        for subscription in subscriptions:
            if subscription.filter.wants(job_change):
                subscription.offer(job_change)

    # ---- the streams' side ---------------------------------------------------------------

    def token(self, seq: int) -> str:
        return f"{self._epoch}.{seq}"

    def _replay_from(self, token: str) -> int | None:
        """The sequence number after which a token resumes, if its changes are still kept."""
        epoch, _, raw = token.partition(".")
        if epoch != self._epoch or not raw.isdigit():
            return None
        seq = int(raw)
        oldest = self._recent[0].seq if self._recent else self._seq + 1
        return seq if oldest - 1 <= seq <= self._seq else None

    def stream(
        self,
        stream_filter: StreamFilter,
        is_active: IsActive,
        *,
        resume_token: str = "",
        initial: Callable[[], list[JSON]],
    ) -> Iterator[pb.JobEvent]:
        """INITIAL events for ``initial()`` (or a replay after ``resume_token``), then every
        change the filter wants, until ``is_active`` turns false (or, for one job, it ends)."""
        subscription = Subscription(stream_filter, self._queue_size)
        with self._lock:
            replay_after = self._replay_from(resume_token) if resume_token else None
            if replay_after is not None:
                backlog = [c for c in self._recent if c.seq > replay_after]
                snapshot: list[JSON] = []
            else:
                backlog = []
                snapshot = initial()
            start_seq = self._seq
            key = id(subscription)
            self._subscriptions.add(key)
            self._by_id[key] = subscription
        try:
            for obj in snapshot:
                info = explained_job_info(self._cache, self._registry, obj)
                if not stream_filter.states or info.status in stream_filter.states:
                    yield self._event(INITIAL, info, start_seq)
                    if stream_filter.job is not None and is_final(info.status):
                        return
            for missed in backlog:
                if stream_filter.wants(missed):
                    yield missed.event
                    if self._ends(stream_filter, missed):
                        return
            while is_active():
                change = subscription.take(_POLL_SECONDS)
                if change is None:
                    if subscription.overflowed:
                        raise errors.Unavailable(
                            "the stream fell behind; watch again with the resume_token of the "
                            "last event received"
                        )
                    continue
                yield change.event
                if self._ends(stream_filter, change):
                    return
        finally:
            with self._lock:
                self._subscriptions.discard(key)
                self._by_id.pop(key, None)

    @staticmethod
    def _ends(stream_filter: StreamFilter, change: JobChange) -> bool:
        return stream_filter.job is not None and (
            change.event_type == DELETED or is_final(change.info.status)
        )

    def _event(self, event_type: int, info: pb.JobInfo, seq: int) -> pb.JobEvent:
        return pb.JobEvent(type=event_type, job=info, resume_token=self.token(seq))  # type: ignore[arg-type]

    @property
    def open_streams(self) -> int:
        with self._lock:
            return len(self._subscriptions)
