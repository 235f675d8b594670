"""A thread-safe store of projections with named indexes (client-go's thread_safe_store).

Objects are keyed by (namespace, name) and found through indexes (index name -> value ->
keys), never by scanning. 100k cached Jobs must fit in a small share of the service's memory,
so each entry is as small as it can be made: a tuple (which the garbage collector stops
tracking) of the projection as JSON, its resourceVersion and its listing position.
The projections of one kind share most of their text (key names, labels, images, condition
reasons), so each is deflated against a dictionary taken from the first one stored: a Job
built by the service keeps well under 200 bytes of its ~900 bytes of JSON. Index values are
not kept per entry: index functions are pure functions of the projection, so removing an
entry recomputes them from what it stored. A value only one object has (a job id label) maps
to that key itself, not to a set of one.

A change from the watch is stored as plain JSON ("young") and deflated later, by ``pack``
from another thread. zlib lets go of the interpreter lock for every call, and the informer
thread then waits up to a switch interval (5 ms) to get it back from whichever thread is
busy: deflating on the informer thread made each change seen that much later, and a write
waiting to see its own change (read-your-writes) waited for all of them. Measured in one
process, 1,000 ScheduleJobs items took 25-31 s so, 6.5-8.5 s with plain JSON. A new job is
also the one whose status changes next, so it is decoded from plain JSON while it is young.
"""

from __future__ import annotations

import bisect
import sys
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple

from jobscheduler.kube import jsoncodec

JSON = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)
# An index function: the index values of one projection (e.g. its labels as "key=value").
# It must depend on the projection alone: removing an entry computes its values again.
IndexFunc = Callable[[JSON], Iterable[str]]
# Listing order: newest first by creation time, then by namespace and name.
OrderKey = tuple[float, str, str]
# One key, or the set of them once a second object has the value.
_Members = Key | set[Key]

# Deflate settings: a 4 KB window covers the dictionary and a typical projection; a small
# memLevel makes a compressor cheap to set up, which is most of its cost at this size.
_WINDOW_BITS = -12
_MEM_LEVEL = 2
_LEVEL = 6
_DICTIONARY_BYTES = 4096
_LOAD_BATCH = 500
_PACK_BATCH = 500


class Entry(NamedTuple):
    raw: bytes  # the projection as JSON; deflated against the store's dictionary if packed
    resource_version: str
    order: OrderKey
    packed: bool


def order_key(obj: JSON, created: Callable[[JSON], float]) -> OrderKey:
    metadata = obj.get("metadata") or {}
    return (-created(obj), str(metadata.get("namespace", "")), str(metadata.get("name", "")))


def _members(found: _Members | None) -> Collection[Key]:
    if found is None:
        return ()
    return (found,) if isinstance(found, tuple) else found


class Store:
    def __init__(
        self,
        indexers: dict[str, IndexFunc],
        created: Callable[[JSON], float],
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._indexers = indexers
        self._created = created
        self._now = now
        self._lock = threading.RLock()
        self._entries: dict[Key, Entry] = {}
        self._indexes: dict[str, dict[str, _Members]] = {name: {} for name in indexers}
        self._order: list[OrderKey] = []  # sorted; the listing order of every entry
        self._dictionary: bytes | None = None  # set once, by the first projection stored
        self._dictionary_lock = threading.Lock()
        # Keys whose entry is plain JSON, oldest first, with when each became so.
        self._young: dict[Key, float] = {}

    # ---- encoding -----------------------------------------------------------------------

    def _serialize(self, obj: JSON) -> bytes:
        text = jsoncodec.dumps(obj)
        if self._dictionary is None:
            with self._dictionary_lock:
                if self._dictionary is None:
                    self._dictionary = text[:_DICTIONARY_BYTES]
        return text

    def _deflate(self, text: bytes) -> bytes:
        deflate = zlib.compressobj(
            _LEVEL, zlib.DEFLATED, _WINDOW_BITS, _MEM_LEVEL, zdict=self._dictionary
        )
        return deflate.compress(text) + deflate.flush()

    def _decode(self, entry: Entry) -> JSON:
        if not entry.packed:
            young: JSON = jsoncodec.loads(entry.raw)
            return young
        assert self._dictionary is not None  # an entry exists only once it was set
        inflate = zlib.decompressobj(_WINDOW_BITS, self._dictionary)
        result: JSON = jsoncodec.loads(inflate.decompress(entry.raw) + inflate.flush())
        return result

    def _prepare(self, obj: JSON, *, pack: bool) -> tuple[Key, Entry]:
        """The key and entry of a projection (encoding is the costly part: no lock held)."""
        metadata = obj.get("metadata") or {}
        # One copy of each namespace; the name is shared by the key and the order.
        namespace = sys.intern(str(metadata.get("namespace", "")))
        name = str(metadata.get("name", ""))
        order = (-self._created(obj), namespace, name)
        text = self._serialize(obj)
        raw = self._deflate(text) if pack else text
        entry = Entry(raw, str(metadata.get("resourceVersion", "")), order, pack)
        return (namespace, name), entry

    # ---- writes (the informer's) --------------------------------------------------------

    def upsert(self, obj: JSON) -> tuple[JSON | None, JSON]:
        """Store a projection; (the previous projection or None, the new one). Only the
        informer writes, so what ``key`` holds changes meanwhile only by being packed, which
        keeps its content: the previous projection is decoded without the lock."""
        key, entry = self._prepare(obj, pack=False)
        with self._lock:
            previous = self._entries.get(key)
        before = self._decode(previous) if previous is not None else None
        with self._lock:
            moved = previous is None or previous.order != entry.order
            if previous is not None and before is not None:
                self._unindex(key, before, previous.order if moved else None)
            self._entries[key] = entry
            self._index(key, obj, entry.order if moved else None)
            self._young.setdefault(key, self._now())
        return before, obj

    def delete(self, namespace: str, name: str) -> JSON | None:
        key = (namespace, name)
        with self._lock:
            previous = self._entries.get(key)
        if previous is None:
            return None
        before = self._decode(previous)
        with self._lock:
            del self._entries[key]
            self._young.pop(key, None)
            self._unindex(key, before, previous.order)
        return before

    def pack(self, older_than_seconds: float) -> int:
        """Deflate the entries that have been plain JSON at least this long; how many were.
        Runs beside the informer, holding the lock only to pick a batch and to swap it in:
        an entry the informer replaced meanwhile stays as the informer left it."""
        packed = 0
        while True:
            cutoff = self._now() - older_than_seconds
            with self._lock:
                due = list(islice(self._young.items(), _PACK_BATCH))
                due = [(key, since) for key, since in due if since <= cutoff]
                batch = [(key, self._entries[key]) for key, _ in due if key in self._entries]
                for key, _ in due:
                    del self._young[key]
            if not batch:
                return packed
            swaps = [(key, old, self._deflate(old.raw)) for key, old in batch]
            with self._lock:
                for key, old, raw in swaps:
                    if self._entries.get(key) is old:
                        self._entries[key] = old._replace(raw=raw, packed=True)
                        packed += 1

    def young_count(self) -> int:
        with self._lock:
            return len(self._young)

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
        """The first list: whatever the store held is dropped, everything in, the ordering
        sorted once. ``objects`` may be a generator that fetches pages as it goes: they are
        taken in batches, and the lock is held only while a batch goes in (readers wait for
        the first sync anyway, and a write waiting for it must not stall on the lock)."""
        with self._lock:
            self._entries.clear()
            self._young.clear()
            self._order.clear()
            for index in self._indexes.values():
                index.clear()
        items = iter(objects)
        while batch := list(islice(items, _LOAD_BATCH)):
            prepared = [(obj, *self._prepare(obj, pack=True)) for obj in batch]
            with self._lock:
                for obj, key, entry in prepared:
                    previous = self._entries.get(key)
                    if previous is not None:  # listed twice: the later copy wins
                        self._unindex(key, self._decode(previous), None)
                        self._order.remove(previous.order)
                    self._entries[key] = entry
                    self._index(key, obj, None)
                    self._order.append(entry.order)
        with self._lock:
            self._order.sort()

    def _index(self, key: Key, obj: JSON, order: OrderKey | None) -> None:
        for name, func in self._indexers.items():
            index = self._indexes[name]
            for value in func(obj):
                found = index.get(value)
                if found is None:
                    index[sys.intern(value)] = key
                elif isinstance(found, tuple):
                    if found != key:
                        index[value] = {found, key}
                else:
                    found.add(key)
        if order is not None:
            bisect.insort(self._order, order)

    def _unindex(self, key: Key, obj: JSON, order: OrderKey | None) -> None:
        for name, func in self._indexers.items():
            index = self._indexes[name]
            for value in func(obj):
                found = index.get(value)
                if found is None:
                    continue
                if isinstance(found, tuple):
                    if found == key:
                        del index[value]
                    continue
                found.discard(key)
                if len(found) == 1:
                    index[value] = next(iter(found))
                elif not found:
                    del index[value]
        if order is not None:
            position = bisect.bisect_left(self._order, order)
            if position < len(self._order) and self._order[position] == order:
                del self._order[position]

    # ---- reads --------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> JSON | None:
        with self._lock:
            entry = self._entries.get((namespace, name))
        return self._decode(entry) if entry else None

    def resource_version_of(self, namespace: str, name: str) -> str | None:
        with self._lock:
            entry = self._entries.get((namespace, name))
            return entry.resource_version if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def keys_for(self, index: str, value: str) -> set[Key]:
        """The keys an index holds for ``value`` (a copy: safe to combine)."""
        with self._lock:
            return set(_members(self._indexes[index].get(value)))

    def count(self, index: str, value: str) -> int:
        """How many objects an index holds for ``value`` (nothing copied)."""
        with self._lock:
            return len(_members(self._indexes[index].get(value)))

    def matching(self, groups: Sequence[Sequence[tuple[str, str]]]) -> set[Key]:
        """Keys in every group, a group matching any of its (index, value) pairs. Only the
        smallest group is copied; the others are probed, so a filter as wide as the whole
        store costs no more than its narrowest part."""
        with self._lock:
            if not groups:
                return set(self._entries)
            unions = [
                [_members(self._indexes[index].get(value)) for index, value in group]
                for group in groups
            ]
            unions.sort(key=lambda sets: sum(len(keys) for keys in sets))
            smallest, others = unions[0], unions[1:]
            found: set[Key] = set().union(*smallest) if smallest else set()
            for sets in others:
                found = {key for key in found if any(key in keys for keys in sets)}
            return found

    def page(
        self, groups: Sequence[Sequence[tuple[str, str]]], after: OrderKey | None, limit: int
    ) -> tuple[list[Key], int]:
        """Up to ``limit`` keys matching ``groups`` (as ``matching``) in listing order after
        ``after``, and how many match in all, as of one moment. A group one of whose values
        every object has narrows nothing (a state filter all the jobs are in): it is skipped,
        not copied, and the count is then the store's size."""
        with self._lock:
            total = len(self._entries)
            narrowing = [
                group
                for group in groups
                if not any(
                    len(_members(self._indexes[index].get(value))) == total
                    for index, value in group
                )
            ]
            if not narrowing:
                return self.ordered(None, after, limit), total
            keys = self.matching(narrowing)
            return self.ordered(keys, after, limit), len(keys)

    def index_sizes(self, index: str) -> dict[str, int]:
        with self._lock:
            return {value: len(_members(keys)) for value, keys in self._indexes[index].items()}

    def all_keys(self) -> set[Key]:
        with self._lock:
            return set(self._entries)

    def get_many(self, keys: Iterable[Key]) -> list[JSON]:
        with self._lock:
            entries = [self._entries.get(key) for key in keys]
        return [self._decode(entry) for entry in entries if entry is not None]

    def ordered(self, keys: set[Key] | None, after: OrderKey | None, limit: int) -> list[Key]:
        """Up to ``limit`` keys (of ``keys``; None: all) in listing order, after ``after``."""
        with self._lock:
            if keys is not None and len(keys) * 8 < len(self._order):
                # A selective filter: sorting what it matched beats walking everything.
                candidates = sorted(self._entries[k].order for k in keys if k in self._entries)
                start = bisect.bisect_right(candidates, after) if after else 0
                return [(ns, name) for _, ns, name in candidates[start : start + limit]]
            start = bisect.bisect_right(self._order, after) if after else 0
            if keys is None:
                return [(ns, name) for _, ns, name in self._order[start : start + limit]]
            found: list[Key] = []
            for position in range(start, len(self._order)):
                _, ns, name = self._order[position]
                if (ns, name) in keys:
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
            yield self._decode(entry)
