"""core/v1 Events as the controllers record them (``kubectl describe`` shows these)."""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ApiError, ClusterAPI
from kubesim.controllers.timeutil import format_time

log = logging.getLogger(__name__)

MERGE_PATCH = "application/merge-patch+json"
# How many distinct recent events a recorder remembers for aggregation.
_REMEMBERED_EVENTS = 4096


class EventRecorder:
    """Records events like client-go's recorder: a repeat of the same event about the same
    object bumps ``count`` and ``lastTimestamp`` of the existing Event instead of adding one."""

    def __init__(self, api: ClusterAPI, clock: Clock, component: str) -> None:
        self._api = api
        self._clock = clock
        self._component = component
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str, str, str, str], tuple[str, int]] = OrderedDict()

    def record(self, obj: JSON, event_type: str, reason: str, message: str) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("uid")), event_type, reason, message)
        with self._lock:
            seen = self._recent.pop(key, None)
        if seen is not None and self._repeat(str(meta.get("namespace")), seen, key):
            return
        now = self._clock.now()
        # Upstream names events "<object>.<unix nanoseconds in hex>"; the sequence keeps two
        # events in the same nanosecond apart.
        suffix = int(now.timestamp() * 1e9) + next(self._sequence)
        stamp = format_time(now)
        event: JSON = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta.get('name')}.{suffix:x}",
                "namespace": meta.get("namespace"),
            },
            "involvedObject": {
                "kind": obj.get("kind"),
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "apiVersion": obj.get("apiVersion"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "source": {"component": self._component},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": event_type,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        try:
            self._api.create("events", str(meta.get("namespace")), event)
        except ApiError as error:
            # Events are best effort, as in client-go's recorder.
            log.debug("event %s for %s dropped: %s", reason, meta.get("name"), error.message)
            return
        self._remember(key, event["metadata"]["name"], 1)

    def _repeat(
        self, namespace: str, seen: tuple[str, int], key: tuple[str, str, str, str]
    ) -> bool:
        name, count = seen
        patch = {"count": count + 1, "lastTimestamp": format_time(self._clock.now())}
        try:
            self._api.patch("events", namespace, name, patch, MERGE_PATCH)
        except ApiError:
            return False  # the Event is gone: record a new one
        self._remember(key, name, count + 1)
        return True

    def _remember(self, key: tuple[str, str, str, str], name: str, count: int) -> None:
        with self._lock:
            self._recent[key] = (name, count)
            if len(self._recent) > _REMEMBERED_EVENTS:
                self._recent.popitem(last=False)
