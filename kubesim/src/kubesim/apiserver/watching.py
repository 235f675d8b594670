"""Watch streams: store events filtered and translated as kube-apiserver's watch cache does.

An object that starts matching a selector arrives as ADDED and one that stops matching as
DELETED, so a client's view of "the matching set" stays right. With ``allowWatchBookmarks``
a BOOKMARK carries the resource's latest resourceVersion when it advanced beyond what the
watcher has seen: every second (kube-apiserver waits about a minute; clients only need them
to be timely), and once more in the second before ``timeoutSeconds`` ends the stream, as
kube-apiserver does (reference v1.36 H1). A WatchList request (``sendInitialEvents=true``)
gets the current objects as ADDED events, then a BOOKMARK annotated
``k8s.io/initial-events-end: "true"``, then the changes. A too-old resourceVersion yields one
ERROR event (a 410 Expired Status) and ends the stream, inside a 200 response (reference 91).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from kubesim.apiserver.registry import ResourceType
from kubesim.clusterapi import JSON, ApiError
from kubesim.store import StoreEvent, Subscription, clone

BOOKMARK_INTERVAL_SECONDS = 1.0
# The last bookmark comes this long before the watch's timeout.
_FINAL_BOOKMARK_SECONDS = 1.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
# A BOOKMARK's object is the kind's Go zero value with only the resourceVersion set, so it
# carries the non-omitempty fields of the kind too (reference 73 shows the Job's; since 1.35 an
# unset creationTimestamp is omitted, reference v1.36 H1).
_EMPTY_POD_TEMPLATE = {"metadata": {}, "spec": {"containers": None}}
_EMPTY_FIELDS: dict[str, JSON] = {
    "jobs": {"spec": {"template": _EMPTY_POD_TEMPLATE}, "status": {}},
    "cronjobs": {
        "spec": {"schedule": "", "jobTemplate": {"spec": {"template": _EMPTY_POD_TEMPLATE}}},
        "status": {},
    },
    "pods": {"spec": {"containers": None}, "status": {}},
    "namespaces": {"spec": {}, "status": {}},
    "events": {
        "involvedObject": {},
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    },
}
# How often a blocked reader wakes to check stop/timeout/bookmarks.
_POLL_SECONDS = 0.25


class ServerWatch:
    """Implements ``WatchStream``. Iterating blocks until an event, the timeout or ``stop``."""

    def __init__(
        self,
        resource: ResourceType,
        *,
        namespace: str | None,
        predicate: Callable[[JSON], bool] | None,
        subscription: Subscription | None,
        initial: list[JSON],
        backlog: list[StoreEvent],
        since: int,
        last_rv: Callable[[], int],
        allow_bookmarks: bool,
        timeout_seconds: float | None,
        copy_objects: bool,
        error: ApiError | None = None,
        initial_events_end: bool = False,
    ) -> None:
        self._resource = resource
        self._namespace = namespace
        self._predicate = predicate
        self._subscription = subscription
        self._initial = initial
        self._backlog = backlog
        self._seen_rv = since  # the newest store event looked at
        self._sent_rv = since  # the newest version the client was told about
        self._last_rv = last_rv
        self._allow_bookmarks = allow_bookmarks
        self._deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self._copy = copy_objects
        self._error = error
        self._initial_events_end = initial_events_end
        self._stopped = threading.Event()
        # Set by the HTTP layer: False once the client has gone, so an idle stream ends.
        self.alive: Callable[[], bool] | None = None

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.unsubscribe()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _matches(self, obj: JSON | None) -> bool:
        if obj is None:
            return False
        if self._namespace and obj["metadata"].get("namespace") != self._namespace:
            return False
        return self._predicate is None or self._predicate(obj)

    def _event(self, kind: str, obj: JSON) -> JSON:
        self._sent_rv = max(self._sent_rv, int(obj["metadata"].get("resourceVersion") or 0))
        return {"type": kind, "object": clone(obj) if self._copy else obj}

    def _translate(self, event: StoreEvent) -> JSON | None:
        if event.resource_version <= self._seen_rv:
            return None
        self._seen_rv = event.resource_version
        now_matches = event.type != "DELETED" and self._matches(event.object)
        before_matched = event.type != "ADDED" and self._matches(event.previous)
        if event.type == "DELETED":
            return self._event("DELETED", event.object) if before_matched else None
        if now_matches and (before_matched or event.type == "ADDED"):
            return self._event(event.type, event.object)
        if now_matches:
            return self._event("ADDED", event.object)
        if before_matched:
            return self._event("DELETED", event.object)
        return None

    def _bookmark(self, resource_version: int, *, initial_events_end: bool = False) -> JSON:
        self._sent_rv = max(self._sent_rv, resource_version)
        metadata: JSON = {"resourceVersion": str(resource_version)}
        if initial_events_end:
            metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
        return {
            "type": "BOOKMARK",
            "object": {
                "kind": self._resource.kind,
                "apiVersion": self._resource.api_version,
                "metadata": metadata,
                **clone(_EMPTY_FIELDS.get(self._resource.plural, {})),
            },
        }

    def __iter__(self) -> Iterator[JSON]:
        try:
            if self._error is not None:
                yield {"type": "ERROR", "object": self._error.to_status()}
                return
            for obj in self._initial:
                if self._stopped.is_set():
                    return
                if self._matches(obj):
                    yield self._event("ADDED", obj)
            if self._initial_events_end:
                yield self._bookmark(self._seen_rv, initial_events_end=True)
            for event in self._backlog:
                translated = self._translate(event)
                if translated is not None:
                    yield translated
            yield from self._live()
        finally:
            if self._subscription is not None:
                self._subscription.unsubscribe()

    def _live(self) -> Iterator[JSON]:
        subscription = self._subscription
        assert subscription is not None
        next_bookmark = time.monotonic() + BOOKMARK_INTERVAL_SECONDS
        if self._deadline is not None:
            next_bookmark = min(next_bookmark, self._deadline - _FINAL_BOOKMARK_SECONDS)
        while not self._stopped.is_set():
            now = time.monotonic()
            if self._deadline is not None and now >= self._deadline:
                return
            wait = _POLL_SECONDS
            if self._deadline is not None:
                wait = min(wait, self._deadline - now)
            if self._allow_bookmarks:
                wait = max(0.0, min(wait, next_bookmark - now))
            event = subscription.next(wait)
            if event is not None:
                translated = self._translate(event)
                if translated is not None:
                    yield translated
                continue
            if subscription.closed or (self.alive is not None and not self.alive()):
                return
            if self._allow_bookmarks and time.monotonic() >= next_bookmark:
                next_bookmark = time.monotonic() + BOOKMARK_INTERVAL_SECONDS
                if self._deadline is not None:
                    final = self._deadline - _FINAL_BOOKMARK_SECONDS
                    next_bookmark = (
                        min(next_bookmark, final)
                        if time.monotonic() < final
                        else (self._deadline + 1.0)
                    )
                latest = self._last_rv()
                if latest > self._sent_rv:
                    yield self._bookmark(latest)
