"""events.k8s.io/v1: the newer, read-only view of the core v1 Events (reference 48e).

kube-apiserver stores one Event and serves it in both groups; events.k8s.io/v1 renames fields
(``involvedObject`` -> ``regarding``, ``message`` -> ``note``, ``source`` -> ``deprecatedSource``,
...). ``kubectl events`` and newer tools read this group. The embedded server serves ``get`` and
``list`` here (what those readers need); writes go through the core group.
"""

from __future__ import annotations

from kubesim.apiserver.registry import ResourceType
from kubesim.clusterapi import JSON

EVENTS_V1 = ResourceType(
    "events",
    "event",
    "Event",
    "events.k8s.io",
    "v1",
    True,
    short_names=("ev",),
    verbs=("get", "list"),
)

# core v1 field -> events.k8s.io/v1 field, as upstream's conversion maps them.
_RENAMED = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "reportingComponent": "reportingController",
}
_DROPPED_WHEN_EMPTY = ("reportingController", "reportingInstance", "action", "related", "series")
_SELECTOR_PREFIXES = {"regarding.": "involvedObject.", "note": "message"}


def to_events_v1(event: JSON) -> JSON:
    """One core v1 Event as events.k8s.io/v1 shows it (list items carry no type meta)."""
    converted: JSON = {}
    for key, value in event.items():
        if key in ("kind", "apiVersion"):
            continue
        converted[_RENAMED.get(key, key)] = value
    for key in _DROPPED_WHEN_EMPTY:
        if converted.get(key) in ("", None):
            converted.pop(key, None)
    converted.setdefault("eventTime", None)
    return converted


def core_field_selector(selector: str) -> str:
    """A field selector on events.k8s.io/v1 names, in core v1 names."""
    return ",".join(_core_term(term) for term in selector.split(","))


def _core_term(term: str) -> str:
    for prefix, core in _SELECTOR_PREFIXES.items():
        if term.startswith(prefix):
            return core + term[len(prefix) :]
    return term
