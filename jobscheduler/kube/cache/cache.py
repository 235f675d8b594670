"""WatchCache: the read side of the gateway (``JobReader``) fed by informers.

One informer per cached kind and namespace (or one per kind for all namespaces) keeps a
store of projections current; reads are answered from those stores with no API call, and
reads the cache cannot answer (a namespace it does not watch, a field selector, a pod's
log) go to the API server through the gateway. Writes still go to the gateway; the service
then waits for the cache to see each one (``saw_write``/``saw_delete``), so a read after a
write on this replica sees it. When that wait times out, reads of that object go to the API
server until the cache catches up: read-your-writes holds either way.

The cache is no state of its own: it is rebuilt from the API server at every start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobscheduler import errors, metrics
from jobscheduler.kube.cache import selectors
from jobscheduler.kube.cache.informer import Informer, Listener, as_int
from jobscheduler.kube.cache.packer import Packer
from jobscheduler.kube.cache.projection import Projector
from jobscheduler.kube.cache.store import IndexFunc, Key, OrderKey, Store
from jobscheduler.kube.reader import JobReader
from jobscheduler.kube.resources import Resource

JSON = dict[str, Any]
LABEL_INDEX = "label"
Requirements = list[selectors.Requirement]
Objects = list[JSON]
_CACHE_CONTINUE_PREFIX = "cache:"


def label_terms(obj: JSON) -> Iterable[str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return (f"{key}={value}" for key, value in labels.items())


def label_terms_with(presence: frozenset[str]) -> IndexFunc:
    """Label terms, and the bare key of each label in ``presence`` an object has: a selector
    that asks only whether such a label exists is then looked up, not checked object by
    object. (A label key has no "=", so a bare key never reads as a "key=value" term.)"""
    if not presence:
        return label_terms

    def terms(obj: JSON) -> Iterable[str]:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        yield from (f"{key}={value}" for key, value in labels.items())
        yield from (key for key in presence if key in labels)

    return terms


@dataclass(frozen=True)
class CachedKind:
    """What to cache of one kind: which objects, their projection, their indexes."""

    resource: Resource
    label_selector: str
    project: Projector
    created: Callable[[JSON], float]  # creation time in seconds: the listing order
    indexers: dict[str, IndexFunc] = field(default_factory=dict)
    # Label keys whose mere presence is indexed (the background sweep's "key" selectors).
    presence_labels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CacheOptions:
    page_size: int = 500
    watch_timeout_seconds: int = 60
    staleness_seconds: float = 30.0  # failing this long: the cache reports itself stale
    write_wait_seconds: float = 2.0  # how long a write waits for the cache to see it


class WatchCache:
    def __init__(
        self,
        gateway: JobReader,
        kinds: Sequence[CachedKind],
        namespaces: Sequence[str] | None,
        options: CacheOptions = CacheOptions(),
        *,
        now: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] | None = None,
    ) -> None:
        """``namespaces`` None caches all namespaces (one watch per kind); otherwise one
        watch per kind and listed namespace."""
        self._gateway = gateway
        self._options = options
        self._now = now
        self.namespaces = None if namespaces is None else tuple(dict.fromkeys(namespaces))
        self._informers: dict[tuple[str, str | None], Informer] = {}
        for kind in kinds:
            for namespace in self.namespaces or (None,):
                indexers = {LABEL_INDEX: label_terms_with(kind.presence_labels), **kind.indexers}
                self._informers[(kind.resource.plural, namespace)] = Informer(
                    gateway,
                    kind.resource,
                    namespace,
                    Store(indexers, kind.created, now=now),
                    kind.project,
                    label_selector=kind.label_selector,
                    page_size=options.page_size,
                    watch_timeout_seconds=options.watch_timeout_seconds,
                    now=now,
                    pause=pause,
                )
        self._selectors = {kind.resource.plural: kind.label_selector for kind in kinds}
        self._presence = {kind.resource.plural: kind.presence_labels for kind in kinds}
        # Objects a write changed that the cache had not seen in time: (plural, ns, name) ->
        # the version to wait for (None: its deletion). Reads of them go to the API server.
        self._pending: dict[tuple[str, str, str], int | None] = {}
        self._pending_lock = threading.Lock()
        self.packer = Packer(lambda: [informer.store for informer in self._informers.values()])

    # ---- lifecycle and health ---------------------------------------------------------

    def start(self) -> None:
        for informer in self._informers.values():
            informer.start()
        self.packer.start()

    def stop(self) -> None:
        self.packer.stop()
        for informer in self._informers.values():
            informer.stop()

    @property
    def synced(self) -> bool:
        return all(informer.synced.is_set() for informer in self._informers.values())

    def wait_synced(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for informer in self._informers.values():
            if not informer.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def stale_seconds(self) -> float:
        """How long the worst informer has failed to reach the API server (0: none does)."""
        now = self._now()
        failing = [i.failing_since for i in self._informers.values() if i.failing_since]
        return max((now - since for since in failing), default=0.0)

    def _stale(self, informer: Informer) -> bool:
        since = informer.failing_since
        return since is not None and self._now() - since > self._options.staleness_seconds

    def healthy(self) -> bool:
        """Synced, and no watch lost for longer than the staleness limit."""
        return self.synced and self.stale_seconds() <= self._options.staleness_seconds

    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    def add_listener(self, listener: Listener) -> None:
        for informer in self._informers.values():
            informer.add_listener(listener)

    def informer_for(self, resource: Resource, namespace: str | None) -> Informer | None:
        """The informer holding ``resource`` objects of ``namespace`` (None: all), if it has
        synced and has not been cut off from the API server past the staleness limit."""
        found = self._holding(resource, namespace)
        if found is None or not found.synced.is_set() or self._stale(found):
            return None  # not synced yet, or blind too long: ask the API server
        return found

    def _holding(self, resource: Resource, namespace: str | None) -> Informer | None:
        """The informer that holds (or, before its first sync, will hold) these objects."""
        found = self._informers.get((resource.plural, namespace))
        if found is None and namespace is not None:
            found = self._informers.get((resource.plural, None))
        return found

    def covers(self, resource: Resource, namespace: str | None) -> bool:
        return self.informer_for(resource, namespace) is not None

    # ---- JobReader ---------------------------------------------------------------------

    def get(self, resource: Resource, namespace: str | None, name: str) -> JSON:
        informer = self.informer_for(resource, namespace)
        if informer is None or namespace is None or self._is_pending(informer, namespace, name):
            return self._gateway.get(resource, namespace, name)
        obj = informer.store.get(namespace, name)
        if obj is None:
            raise errors.NotFound(f"{namespace}/{name} not found")
        return obj

    def list(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> JSON:
        """From the cache when it holds what the selector asks for (it narrows what the cache
        keeps, never widens it); otherwise from the API server."""
        informer = self.informer_for(resource, namespace)
        requirements = selectors.parse(label_selector)
        cached_terms = selectors.parse(self._selectors.get(resource.plural, "")) or []
        offset = _cache_offset(continue_token)
        if (
            informer is None
            or field_selector
            or requirements is None
            or not set(cached_terms) <= set(requirements)
            or (continue_token and offset is None)
        ):
            return self._gateway.list(
                resource,
                namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=limit,
                continue_token=continue_token,
            )
        keys = self.select(informer, namespace, requirements)
        ordered = informer.store.ordered(keys, None, len(keys))
        start = offset or 0
        end = start + limit if limit else len(ordered)
        items = informer.store.get_many(ordered[start:end])
        more = end < len(ordered)
        return {
            "items": items,
            "metadata": {
                "resourceVersion": str(informer.version),
                "continue": f"{_CACHE_CONTINUE_PREFIX}{end}" if more else "",
            },
        }

    def watch(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        resource_version: str,
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int,
        on_open: Callable[[Callable[[], None]], None] | None = None,
    ) -> Iterator[JSON]:
        """A raw watch is the API server's (streams fan out from the cache in the service)."""
        return self._gateway.watch(
            resource,
            namespace,
            resource_version=resource_version,
            label_selector=label_selector,
            field_selector=field_selector,
            timeout_seconds=timeout_seconds,
            on_open=on_open,
        )

    def stream_pod_log(self, namespace: str, pod: str, **options: Any) -> Iterator[bytes]:
        return self._gateway.stream_pod_log(namespace, pod, **options)

    # ---- index queries -----------------------------------------------------------------

    def select(
        self, informer: Informer, namespace: str | None, requirements: Requirements
    ) -> set[Key]:
        """Keys matching label requirements, found through the label index: the equality
        terms are looked up, only their (small) intersection is checked for the rest."""
        presence = self._presence.get(informer.resource.plural, frozenset())
        groups = [
            [(LABEL_INDEX, f"{r.key}={value}") for value in sorted(r.values)]
            for r in requirements
            if r.operator == "in"
        ]
        groups += [
            [(LABEL_INDEX, r.key)]
            for r in requirements
            if r.operator == "exists" and r.key in presence
        ]
        keys = self.query(informer, namespace, groups)
        rest = [
            r
            for r in requirements
            if r.operator != "in" and not (r.operator == "exists" and r.key in presence)
        ]
        if rest:
            objects = informer.store.get_many(keys)
            keys = {
                _key(obj)
                for obj in objects
                if selectors.matches(rest, (obj.get("metadata") or {}).get("labels") or {})
            }
        return keys

    def query(
        self, informer: Informer, namespace: str | None, groups: Sequence[Sequence[tuple[str, str]]]
    ) -> set[Key]:
        """Keys in every group, a group matching any of its (index, value) pairs; limited to
        ``namespace`` when the informer holds several."""
        keys = informer.store.matching(groups)
        if informer.namespace is None and namespace is not None:
            keys = {key for key in keys if key[0] == namespace}
        return keys

    def page(
        self, informer: Informer, keys: set[Key] | None, after: OrderKey | None, limit: int
    ) -> Objects:
        return informer.store.get_many(informer.store.ordered(keys, after, limit))

    def count_pairs(
        self, resource: Resource, first: str, second: str
    ) -> dict[tuple[str, str], int]:
        """Objects per (value of ``first``, value of ``second``) index, e.g. type and state."""
        totals: dict[tuple[str, str], int] = {}
        for (plural, _), informer in self._informers.items():
            if plural != resource.plural:
                continue
            store = informer.store
            seconds = {value: store.keys_for(second, value) for value in store.index_sizes(second)}
            for value, _count in store.index_sizes(first).items():
                keys = store.keys_for(first, value)
                for other, other_keys in seconds.items():
                    if overlap := len(keys & other_keys):
                        pair = (value, other)
                        totals[pair] = totals.get(pair, 0) + overlap
        return totals

    # ---- read-your-writes --------------------------------------------------------------

    def saw_write(self, resource: Resource, namespace: str, name: str, version: str) -> None:
        """Return once the cache holds ``name`` at ``version`` or later (bounded). A write
        made before the first sync waits for the sync too: the list may predate it."""
        informer = self._holding(resource, namespace)
        if informer is None:
            return
        wanted = as_int(version)
        started = time.monotonic()

        def seen() -> bool:
            stored = informer.store.resource_version_of(namespace, name)
            return informer.synced.is_set() and (
                informer.version >= wanted > 0
                or (stored is not None and as_int(stored) >= wanted > 0)
            )

        self._wait(informer, (namespace, name), seen, wanted=wanted, started=started)

    def saw_delete(self, resource: Resource, namespace: str, name: str) -> None:
        informer = self._holding(resource, namespace)
        if informer is None:
            return
        started = time.monotonic()

        def gone() -> bool:
            return (
                informer.synced.is_set()
                and informer.store.resource_version_of(namespace, name) is None
            )

        self._wait(informer, (namespace, name), gone, wanted=None, started=started)

    def _wait(
        self,
        informer: Informer,
        key: Key,
        condition: Callable[[], bool],
        *,
        wanted: int | None,
        started: float,
    ) -> None:
        kind = informer.resource.plural
        if informer.wait_until(condition, self._options.write_wait_seconds):
            metrics.CACHE_EVENT_LAG_SECONDS.labels(kind=kind).observe(time.monotonic() - started)
            return
        metrics.CACHE_WRITE_WAIT_TIMEOUTS.labels(kind=kind).inc()
        with self._pending_lock:
            self._pending[(kind, *key)] = wanted

    def has_pending(self, resource: Resource, namespace: str) -> bool:
        """Whether a write to a ``resource`` in ``namespace`` is not in the cache yet: a list
        of them then goes to the API server, so it shows the write."""
        informer = self._holding(resource, namespace)
        with self._pending_lock:
            keys = [k for k in self._pending if k[0] == resource.plural and k[1] == namespace]
        if informer is None:
            return bool(keys)
        return any([self._is_pending(informer, namespace, name) for _, _, name in keys])

    def _is_pending(self, informer: Informer, namespace: str, name: str) -> bool:
        key = (informer.resource.plural, namespace, name)
        with self._pending_lock:
            if key not in self._pending:
                return False
            wanted = self._pending[key]
            stored = informer.store.resource_version_of(namespace, name)
            caught_up = informer.synced.is_set() and (
                stored is None
                if wanted is None
                else informer.version >= wanted or (stored is not None and as_int(stored) >= wanted)
            )
            if caught_up:
                del self._pending[key]
            return not caught_up


def _key(obj: JSON) -> Key:
    metadata = obj.get("metadata") or {}
    return (str(metadata.get("namespace", "")), str(metadata.get("name", "")))


def _cache_offset(token: str) -> int | None:
    if not token.startswith(_CACHE_CONTINUE_PREFIX):
        return None
    try:
        return int(token.removeprefix(_CACHE_CONTINUE_PREFIX))
    except ValueError:
        return None


__all__ = ["CacheOptions", "CachedKind", "WatchCache"]
