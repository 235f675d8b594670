"""Kubernetes Events about one job: what the job controller, the scheduler and the kubelet said.

Read for the dashboard's job page. Events are found by the object they are about
(``involvedObject.name``), so the job (or schedule) costs one LIST and each of its first
``EVENT_POD_SAMPLE`` pods one more; a wide job's other pods repeat what those say.
"""

from __future__ import annotations

from typing import Any

from jobscheduler.jobtypes.metadata import POD_JOB_NAME_LABEL
from jobscheduler.kube import EVENTS, PODS, JobReader

JSON = dict[str, Any]
EVENT_POD_SAMPLE = 5
# Per object: Kubernetes folds repeats into one Event with a count, so a few dozen is plenty.
EVENTS_PER_OBJECT = 50


def job_events(reader: JobReader, namespace: str, name: str) -> list[JSON]:
    """The Events about job ``name`` and its first pods, oldest first, as ``event_summary``."""
    pods = reader.list(
        PODS, namespace, label_selector=f"{POD_JOB_NAME_LABEL}={name}", limit=EVENT_POD_SAMPLE
    )
    subjects = [name] + [p["metadata"]["name"] for p in pods.get("items") or []]
    found: list[JSON] = []
    for subject in subjects[: EVENT_POD_SAMPLE + 1]:
        page = reader.list(
            EVENTS,
            namespace,
            field_selector=f"involvedObject.name={subject}",
            limit=EVENTS_PER_OBJECT,
        )
        found.extend(event_summary(event) for event in page.get("items") or [])
    return sorted(found, key=lambda event: (event["last_time"], event["object_name"]))


def event_summary(event: JSON) -> JSON:
    """The fields of a core v1 Event a person reads, under stable names."""
    involved = event.get("involvedObject") or {}
    metadata = event.get("metadata") or {}
    first = (
        event.get("firstTimestamp") or event.get("eventTime") or metadata.get("creationTimestamp")
    )
    last = event.get("lastTimestamp") or first
    return {
        "type": str(event.get("type") or ""),
        "reason": str(event.get("reason") or ""),
        "message": str(event.get("message") or ""),
        "count": int(event.get("count") or 1),
        "first_time": str(first or ""),
        "last_time": str(last or ""),
        "object_kind": str(involved.get("kind") or ""),
        "object_name": str(involved.get("name") or ""),
        "source": str(
            (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""
        ),
    }
