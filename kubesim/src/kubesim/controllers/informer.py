"""A watch-backed cache of one resource (client-go's informer, reduced to what we need).

One thread lists the resource, then watches from the list's resourceVersion; a 410 Expired (as
an ERROR event or an ApiError) or a failed stream makes it list again. Every change is handed to
the registered handlers as ``(old, new)`` (``new`` is None on delete), so controllers react to
events instead of polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kubesim.clusterapi import JSON, ApiError, ClusterAPI, WatchStream

log = logging.getLogger(__name__)

Handler = Callable[[JSON | None, JSON | None], None]

# Watches are renewed this often (server-side timeout) so a half-dead stream cannot linger.
_WATCH_TIMEOUT_SECONDS = 240.0
# Real seconds to wait before retrying after the API failed.
_RETRY_DELAY_SECONDS = 0.5


def object_key(obj: JSON) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta.get('name', '')}"


def controller_owner(obj: JSON) -> JSON | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


class Informer:
    def __init__(self, api: ClusterAPI, resource: str, *, label_selector: str = "") -> None:
        self._api = api
        self._resource = resource
        self._label_selector = label_selector
        self._lock = threading.Lock()
        self._items: dict[str, JSON] = {}
        self._by_owner: dict[str, set[str]] = {}
        self._handlers: list[Handler] = []
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._stream: WatchStream | None = None
        self._thread: threading.Thread | None = None

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{self._resource}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.stop()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def get(self, key: str) -> JSON | None:
        with self._lock:
            return self._items.get(key)

    def items(self) -> list[JSON]:
        with self._lock:
            return list(self._items.values())

    def owned_by(self, owner_uid: str) -> list[JSON]:
        """Objects whose controller ownerReference points at ``owner_uid``."""
        with self._lock:
            keys = self._by_owner.get(owner_uid, set())
            return [self._items[key] for key in keys if key in self._items]

    def _run(self) -> None:
        resource_version = ""
        while not self._stop.is_set():
            try:
                if not resource_version:
                    resource_version = self._relist()
                resource_version = self._watch(resource_version)
            except ApiError as error:
                if error.code == 410:
                    resource_version = ""
                    continue
                log.warning("informer %s: %s", self._resource, error.message)
                resource_version = ""
                self._stop.wait(_RETRY_DELAY_SECONDS)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("informer %s failed; listing again", self._resource)
                resource_version = ""
                self._stop.wait(_RETRY_DELAY_SECONDS)

    def _relist(self) -> str:
        listing = self._api.list(self._resource, None, label_selector=self._label_selector)
        fresh = {object_key(item): item for item in listing.get("items") or []}
        with self._lock:
            previous = self._items
        for key, item in fresh.items():
            self._apply(previous.get(key), item)
        for key, item in previous.items():
            if key not in fresh:
                self._apply(item, None)
        self._synced.set()
        return str((listing.get("metadata") or {}).get("resourceVersion") or "")

    def _watch(self, resource_version: str) -> str:
        stream = self._api.watch(
            self._resource,
            None,
            resource_version=resource_version,
            label_selector=self._label_selector,
            allow_bookmarks=True,
            timeout_seconds=_WATCH_TIMEOUT_SECONDS,
        )
        with self._lock:
            self._stream = stream
        if self._stop.is_set():
            stream.stop()
        try:
            for event in stream:
                if self._stop.is_set():
                    break
                kind = event.get("type")
                obj = event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return ""
                    raise ApiError(
                        int(obj.get("code") or 500),
                        str(obj.get("reason") or "InternalError"),
                        str(obj.get("message") or "watch error"),
                    )
                new_version = (obj.get("metadata") or {}).get("resourceVersion")
                if new_version:
                    resource_version = str(new_version)
                if kind == "BOOKMARK":
                    continue
                key = object_key(obj)
                old = self.get(key)
                self._apply(old, None if kind == "DELETED" else obj)
        finally:
            stream.stop()
            with self._lock:
                self._stream = None
        return resource_version

    def _apply(self, old: JSON | None, new: JSON | None) -> None:
        current = new if new is not None else old
        if current is None:
            return
        key = object_key(current)
        with self._lock:
            if old is not None:
                self._unindex(key, old)
            if new is None:
                self._items.pop(key, None)
            else:
                self._items[key] = new
                owner = controller_owner(new)
                if owner is not None:
                    self._by_owner.setdefault(str(owner.get("uid")), set()).add(key)
        for handler in self._handlers:
            try:
                handler(old, new)
            except Exception:
                log.exception("informer %s: handler failed", self._resource)

    def _unindex(self, key: str, obj: JSON) -> None:
        owner = controller_owner(obj)
        if owner is None:
            return
        uid = str(owner.get("uid"))
        keys = self._by_owner.get(uid)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_owner[uid]
