"""A thread-safe store of projections with named indexes (client-go's thread_safe_store).

Objects are keyed by (namespace, name) and found through indexes (index name -> value ->
keys), never by scanning. Each entry keeps its projection as compact bytes beside the few
values the indexes and the ordering need, so a lookup decodes only what it returns.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jobscheduler.kube.cache import projection

JSON = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)
# An index function: the index values of one projection (e.g. its labels as "key=value").
IndexFunc = Callable[[JSON], Iterable[str]]
# Listing order: newest first by creation time, then by namespace and name.
OrderKey = tuple[float, str, str]


@dataclass(slots=True)
class Entry:
    raw: bytes
    resource_version: str
    order: OrderKey
    index_values: tuple[tuple[str, tuple[str, ...]], ...]

    def decode(self) -> JSON:
        return projection.decode(self.raw)


def order_key(obj: JSON, created: Callable[[JSON], float]) -> OrderKey:
    metadata = obj.get("metadata") or {}
    return (-created(obj), str(metadata.get("namespace", "")), str(metadata.get("name", "")))


class Store:
    def __init__(self, indexers: dict[str, IndexFunc], created: Callable[[JSON], float]) -> None:
        self._indexers = indexers
        self._created = created
        self._lock = threading.RLock()
        self._entries: dict[Key, Entry] = {}
        self._indexes: dict[str, dict[str, set[Key]]] = {name: {} for name in indexers}
        self._order: list[OrderKey] = []  # sorted; the listing order of every entry

    # ---- writes (the informer's) --------------------------------------------------------

    def upsert(self, obj: JSON) -> tuple[JSON | None, JSON]:
        """Store a projection; (the previous projection or None, the new one)."""
        metadata = obj.get("metadata") or {}
        key = (str(metadata.get("namespace", "")), str(metadata.get("name", "")))
        values = tuple((name, tuple(func(obj))) for name, func in self._indexers.items())
        entry = Entry(
            projection.encode(obj),
            str(metadata.get("resourceVersion", "")),
            order_key(obj, self._created),
            values,
        )
        with self._lock:
            previous = self._entries.get(key)
            if previous is not None:
                self._unindex(key, previous, sorted_too=previous.order != entry.order)
            self._entries[key] = entry
            self._index(key, entry, sorted_too=previous is None or previous.order != entry.order)
        return (previous.decode() if previous else None), obj

    def delete(self, namespace: str, name: str) -> JSON | None:
        key = (namespace, name)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._unindex(key, previous, sorted_too=True)
        return previous.decode() if previous else None

    def replace(self, objects: Iterable[JSON]) -> tuple[list[JSON], list[tuple[JSON | None, JSON]]]:
        """Replace everything with a fresh list: (what is gone, what is new or changed)."""
        fresh: dict[Key, JSON] = {}
        for obj in objects:
            metadata = obj.get("metadata") or {}
            fresh[(str(metadata.get("namespace", "")), str(metadata.get("name", "")))] = obj
        with self._lock:
            gone_keys = [key for key in self._entries if key not in fresh]
            gone = [d for key in gone_keys if (d := self.delete(*key)) is not None]
            changed = []
            for key, obj in fresh.items():
                entry = self._entries.get(key)
                version = str((obj.get("metadata") or {}).get("resourceVersion", ""))
                if entry is not None and entry.resource_version == version:
                    continue
                changed.append(self.upsert(obj))
        return gone, changed

    def bulk_load(self, objects: Iterable[JSON]) -> None:
        """The first list: everything in, the ordering sorted once."""
        with self._lock:
            for obj in objects:
                metadata = obj.get("metadata") or {}
                key = (str(metadata.get("namespace", "")), str(metadata.get("name", "")))
                values = tuple((n, tuple(f(obj))) for n, f in self._indexers.items())
                entry = Entry(
                    projection.encode(obj),
                    str(metadata.get("resourceVersion", "")),
                    order_key(obj, self._created),
                    values,
                )
                if key in self._entries:
                    self._unindex(key, self._entries[key], sorted_too=True)
                self._entries[key] = entry
                self._index(key, entry, sorted_too=False)
                self._order.append(entry.order)
            self._order.sort()

    def _index(self, key: Key, entry: Entry, *, sorted_too: bool) -> None:
        for name, values in entry.index_values:
            index = self._indexes[name]
            for value in values:
                index.setdefault(value, set()).add(key)
        if sorted_too:
            bisect.insort(self._order, entry.order)

    def _unindex(self, key: Key, entry: Entry, *, sorted_too: bool) -> None:
        for name, values in entry.index_values:
            index = self._indexes[name]
            for value in values:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
        if sorted_too:
            position = bisect.bisect_left(self._order, entry.order)
            if position < len(self._order) and self._order[position] == entry.order:
                del self._order[position]

    # ---- reads --------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> JSON | None:
        with self._lock:
            entry = self._entries.get((namespace, name))
        return entry.decode() if entry else None

    def resource_version_of(self, namespace: str, name: str) -> str | None:
        with self._lock:
            entry = self._entries.get((namespace, name))
            return entry.resource_version if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def keys_for(self, index: str, value: str) -> set[Key]:
        """The keys an index holds for ``value`` (a copy: safe to combine)."""
        with self._lock:
            return set(self._indexes[index].get(value, ()))

    def matching(self, groups: Sequence[Sequence[tuple[str, str]]]) -> set[Key]:
        """Keys in every group, a group matching any of its (index, value) pairs. Only the
        smallest group is copied; the others are probed, so a filter as wide as the whole
        store costs no more than its narrowest part."""
        with self._lock:
            if not groups:
                return set(self._entries)
            unions = [
                [self._indexes[index].get(value, set()) for index, value in group]
                for group in groups
            ]
            unions.sort(key=lambda sets: sum(len(keys) for keys in sets))
            smallest, others = unions[0], unions[1:]
            found: set[Key] = set().union(*smallest) if smallest else set()
            for sets in others:
                found = {key for key in found if any(key in keys for keys in sets)}
            return found

    def index_sizes(self, index: str) -> dict[str, int]:
        with self._lock:
            return {value: len(keys) for value, keys in self._indexes[index].items()}

    def all_keys(self) -> set[Key]:
        with self._lock:
            return set(self._entries)

    def get_many(self, keys: Iterable[Key]) -> list[JSON]:
        with self._lock:
            entries = [self._entries.get(key) for key in keys]
        return [entry.decode() for entry in entries if entry is not None]

    def ordered(self, keys: set[Key] | None, after: OrderKey | None, limit: int) -> list[Key]:
        """Up to ``limit`` keys (of ``keys``; None: all) in listing order, after ``after``."""
        with self._lock:
            if keys is not None and len(keys) * 8 < len(self._order):
                # A selective filter: sorting what it matched beats walking everything.
                candidates = sorted(self._entries[k].order for k in keys if k in self._entries)
                start = bisect.bisect_right(candidates, after) if after else 0
                return [(ns, name) for _, ns, name in candidates[start : start + limit]]
            start = bisect.bisect_right(self._order, after) if after else 0
            found: list[Key] = []
            for position in range(start, len(self._order)):
                _, ns, name = self._order[position]
                if keys is None or (ns, name) in keys:
                    found.append((ns, name))
                    if len(found) == limit:
                        break
            return found

    def created_within(
        self, keys: set[Key] | None, after: float | None, before: float | None
    ) -> set[Key]:
        """The keys (None: all) created at or after ``after`` and before ``before`` (seconds):
        a contiguous stretch of the listing order, found by bisection."""
        with self._lock:
            low = 0 if before is None else bisect.bisect_right(self._order, (-before, "\uffff", ""))
            high = len(self._order)
            if after is not None:
                high = bisect.bisect_right(self._order, (-after, "\uffff", "\uffff"))
            within = {(ns, name) for _, ns, name in self._order[low:high]}
        return within if keys is None else keys & within

    def items(self) -> Iterator[JSON]:
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            yield entry.decode()
