"""One informer: list, then watch from the list's resourceVersion, keeping a ``Store`` current.

client-go's reflector (kopf's ``watching.py`` in Python): the first list is paginated
(``limit``/``continue``) so 100k objects never arrive in one response; the watch asks for
bookmarks so a quiet watch still advances its resourceVersion; a 410 (as a status or an ERROR
event, also for an expired continue token) lists again and reports what changed meanwhile;
any other failure backs off (0.8 s doubling to 30 s, jitter, reset after a healthy minute)
and resumes from the last version seen. A watch that stays silent past its timeout is
dropped by the gateway's read timeout and opened again. Every change is told to the
listeners, in order, from this one thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from jobscheduler import errors, metrics
from jobscheduler.backoff import Backoff, BackoffPolicy
from jobscheduler.kube.cache import collector
from jobscheduler.kube.cache.projection import Projector
from jobscheduler.kube.cache.store import Store
from jobscheduler.kube.errors import ResourceExpired
from jobscheduler.kube.reader import JobReader
from jobscheduler.kube.resources import Resource

log = logging.getLogger(__name__)
JSON = dict[str, Any]
# client-go's reflector backs off the same way (0.8 s to 30 s, reset after healthy minutes).
WATCH_BACKOFF = BackoffPolicy(initial_seconds=0.8, max_seconds=30.0, jitter=0.25)
HEALTHY_RESET_SECONDS = 60.0
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
STOP_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Change:
    """One change the cache saw: ``previous`` None for a new object, ``current`` None for a
    deleted one. ``version`` is the informer's resourceVersion after it."""

    resource: Resource
    namespace: str
    name: str
    previous: JSON | None
    current: JSON | None
    version: int


@dataclass
class _Snapshot:
    """What a list learns beside its objects: the resourceVersion of its first page."""

    version: str = ""


class Listener(Protocol):
    def __call__(self, change: Change) -> None: ...


def as_int(version: str) -> int:
    """resourceVersions are opaque to clients in general; the API servers we speak to (etcd's
    revision, the embedded cluster's counter) use integers, so they order writes. A version
    that is not one orders before everything (waits on it fall back to a direct read)."""
    try:
        return int(version)
    except ValueError:
        return 0


class Informer:
    def __init__(
        self,
        reader: JobReader,
        resource: Resource,
        namespace: str | None,
        store: Store,
        projector: Projector,
        *,
        label_selector: str = "",
        page_size: int = 500,
        watch_timeout_seconds: int = 60,
        now: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        pause: Callable[[float], None] | None = None,
    ) -> None:
        self.resource = resource
        self.namespace = namespace
        self.store = store
        self._reader = reader
        self._project = projector
        self._selector = label_selector
        self._page_size = page_size
        self._watch_timeout = watch_timeout_seconds
        self._now = now
        self._backoff = Backoff(
            WATCH_BACKOFF, reset_after_seconds=HEALTHY_RESET_SECONDS, now=now, rand=rand
        )
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        # Waits between failed attempts (tests pass a fake that records them).
        self._pause = pause or self._stop.wait
        self._thread: threading.Thread | None = None
        # Ends the open watch's stream (set by the gateway once one is open).
        self._end_watch: Callable[[], None] | None = None
        self._watch_lock = threading.Lock()
        self.synced = threading.Event()
        self._changed = threading.Condition()
        self.version = 0  # the highest resourceVersion seen (list, event or bookmark)
        self._resume_from = ""
        # When the API server last answered; None while it does. Readiness reads it.
        self.failing_since: float | None = None
        self.last_error = ""

    @property
    def label(self) -> str:
        return self.resource.plural

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._thread_name(), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        with self._watch_lock:
            end_watch = self._end_watch
        if end_watch is not None:
            end_watch()  # a quiet watch would hold the thread until its next event
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_SECONDS)
            self._thread = None

    def _thread_name(self) -> str:
        return f"jobscheduler-cache-{self.resource.plural}-{self.namespace or 'all'}"

    def _watch_opened(self, end_watch: Callable[[], None]) -> None:
        with self._watch_lock:
            self._end_watch = end_watch
        if self._stop.is_set():  # stopped while the watch was being opened
            end_watch()

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until ``condition()`` holds after a change."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return condition()
                self._changed.wait(left)
            return True

    # ---- the loop -------------------------------------------------------------------------

    def _run(self) -> None:
        must_list = True
        while not self._stop.is_set():
            try:
                if must_list:
                    self._list()
                    must_list = False
                self._watch()
                metrics.CACHE_WATCH_RESTARTS.labels(kind=self.label, reason="timeout").inc()
            except ResourceExpired:
                log.info("%s: watch or list expired; listing again", self._what())
                metrics.CACHE_RELISTS.labels(kind=self.label).inc()
                must_list = True
            except errors.JobSchedulerError as exc:
                self._failed(exc.message)
            except Exception as exc:  # a bug must not end the cache: log it and go on
                log.exception("%s: unexpected failure", self._what())
                self._failed(type(exc).__name__)

    def _failed(self, message: str) -> None:
        if self.failing_since is None:
            self.failing_since = self._now()
        self.last_error = message
        metrics.CACHE_WATCH_RESTARTS.labels(kind=self.label, reason="error").inc()
        delay = self._backoff.next_delay()
        log.info("%s failed (%s); retrying in %.1fs", self._what(), message, delay)
        self._pause(delay)

    def _heard(self) -> None:
        self.failing_since = None
        self.last_error = ""

    def _what(self) -> str:
        return f"cache of {self.resource.plural} in {self.namespace or 'all namespaces'}"

    def _list(self) -> None:
        """Every object, page by page, as one consistent snapshot (the first page's version).
        The first sync streams the pages into the store; a later list compares them with it."""
        snapshot = _Snapshot()
        if not self.synced.is_set():
            with collector.paused_for_first_sync():
                self.store.bulk_load(self._pages(snapshot))
            if self._stop.is_set():
                return
            list_version = as_int(snapshot.version)
            self._set_version(list_version)
            self._resume_from = snapshot.version
            self.synced.set()
            metrics.CACHE_OBJECTS.labels(kind=self.label, namespace=self.namespace or "*").set(
                len(self.store)
            )
            log.info("%s synced: %d objects", self._what(), len(self.store))
            return
        objects = list(self._pages(snapshot))
        if self._stop.is_set():
            return
        gone, changed = self.store.replace(objects)
        self._resume_from = snapshot.version
        self._set_version(as_int(snapshot.version))
        for removed in gone:
            self._tell(removed, None)
        for before, after in changed:
            self._tell(before, after)

    def _pages(self, snapshot: _Snapshot) -> Iterator[JSON]:
        """The projections of every page. The next page is asked for while this one is
        projected, so the API server prepares it while this process works (100k objects are
        200 pages: waiting for each in turn doubled the first sync)."""
        with ThreadPoolExecutor(1, thread_name_prefix=f"{self._thread_name()}-page") as fetcher:
            pending = fetcher.submit(self._page, "")
            while not self._stop.is_set():
                page = pending.result()
                self._heard()
                metadata = page.get("metadata") or {}
                snapshot.version = snapshot.version or str(metadata.get("resourceVersion") or "")
                continue_token = str(metadata.get("continue") or "")
                if continue_token:
                    pending = fetcher.submit(self._page, continue_token)
                for item in page.get("items") or []:
                    yield self._project(item)
                if not continue_token:
                    return

    def _page(self, continue_token: str) -> JSON:
        return self._reader.list(
            self.resource,
            self.namespace,
            label_selector=self._selector,
            limit=self._page_size,
            continue_token=continue_token,
        )

    def _watch(self) -> None:
        for event in self._reader.watch(
            self.resource,
            self.namespace,
            resource_version=self._resume_from,
            label_selector=self._selector,
            timeout_seconds=self._watch_timeout,
            on_open=self._watch_opened,
        ):
            self._heard()
            kind = event.get("type")
            obj = event.get("object") or {}
            version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
            if kind == "BOOKMARK":
                self._resume_from = version or self._resume_from
                self._set_version(as_int(version))
                continue
            projected = self._project(obj)
            metadata = projected.get("metadata") or {}
            namespace, name = str(metadata.get("namespace", "")), str(metadata.get("name", ""))
            current: JSON | None
            if kind == DELETED:
                previous, current = self.store.delete(namespace, name), None
            else:
                previous, current = self.store.upsert(projected)
            self._resume_from = version or self._resume_from
            self._set_version(as_int(version))
            if previous is not None or current is not None:
                self._tell(previous, current, fallback=(namespace, name))
            if self._stop.is_set():
                return
        self._heard()  # the server ended the watch on time: a healthy round

    def _set_version(self, version: int) -> None:
        with self._changed:
            self.version = max(self.version, version)
            self._changed.notify_all()

    def _tell(
        self, previous: JSON | None, current: JSON | None, fallback: tuple[str, str] = ("", "")
    ) -> None:
        metadata = (current or previous or {}).get("metadata") or {}
        change = Change(
            self.resource,
            str(metadata.get("namespace", fallback[0])),
            str(metadata.get("name", fallback[1])),
            previous,
            current,
            self.version,
        )
        metrics.CACHE_OBJECTS.labels(kind=self.label, namespace=self.namespace or "*").set(
            len(self.store)
        )
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:
                log.exception("%s: a listener failed", self._what())
        with self._changed:
            self._changed.notify_all()
