"""core/v1 Events as the controllers record them (``kubectl describe`` shows these)."""

from __future__ import annotations

import itertools
import logging

from jobscheduler.clock import Clock
from jobscheduler.embedded.api import JSON, ApiError, ClusterAPI
from jobscheduler.embedded.controllers.timeutil import format_time

log = logging.getLogger(__name__)


class EventRecorder:
    def __init__(self, api: ClusterAPI, clock: Clock, component: str) -> None:
        self._api = api
        self._clock = clock
        self._component = component
        self._sequence = itertools.count()

    def record(self, obj: JSON, event_type: str, reason: str, message: str) -> None:
        meta = obj.get("metadata") or {}
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
