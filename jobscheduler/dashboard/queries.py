"""URL query strings to service requests, and the JSON the pages read. Pure functions.

Filters use the names the gRPC API uses: ``namespace``, ``job_type`` and ``state`` (repeatable,
``state=RUNNING`` or ``state=JOB_STATUS_RUNNING``), ``label`` (repeatable ``key=value``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation, InvalidArgument

Query = Mapping[str, Sequence[str]]
JSON = dict[str, Any]
MAX_PAGE_SIZE = 500
STATE_PREFIX = "JOB_STATUS_"


def to_json(message: Message) -> JSON:
    """A response as the pages read it: proto field names, enum names, RFC 3339 times."""
    result: JSON = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return result


def first(query: Query, name: str, default: str = "") -> str:
    values = query.get(name) or []
    return values[0] if values else default


def _int(query: Query, name: str, violations: list[FieldViolation], maximum: int) -> int:
    text = first(query, name, "0") or "0"
    if not text.isdigit() or int(text) > maximum:
        violations.append(FieldViolation(name, f"must be a whole number from 0 to {maximum}"))
        return 0
    return int(text)


def _states(query: Query, violations: list[FieldViolation]) -> list[int]:
    states = []
    for text in query.get("state") or []:
        name = text.strip().upper()
        name = name if name.startswith(STATE_PREFIX) else STATE_PREFIX + name
        try:
            states.append(pb.JobStatus.Value(name))
        except ValueError:
            known = ", ".join(n.removeprefix(STATE_PREFIX) for n in pb.JobStatus.keys()[1:])
            violations.append(FieldViolation("state", f"{text!r} is not one of {known}"))
    return states


def _labels(query: Query, violations: list[FieldViolation]) -> dict[str, str]:
    labels = {}
    for text in query.get("label") or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            violations.append(FieldViolation("label", f"{text!r} is not key=value"))
            continue
        labels[key.strip()] = value.strip()
    return labels


def _raise(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(violations)


def list_jobs_request(query: Query) -> pb.ListJobsRequest:
    violations: list[FieldViolation] = []
    req = pb.ListJobsRequest(
        namespace=first(query, "namespace"),
        job_types=query.get("job_type") or [],
        status_filter=_states(query, violations),  # type: ignore[arg-type]
        label_selector=_labels(query, violations),
        page_size=_int(query, "page_size", violations, MAX_PAGE_SIZE),
        page_token=first(query, "page_token"),
        schedule_id=first(query, "schedule_id"),
    )
    _raise(violations)
    return req


def watch_jobs_request(query: Query) -> pb.WatchJobsRequest:
    violations: list[FieldViolation] = []
    req = pb.WatchJobsRequest(
        namespace=first(query, "namespace"),
        job_types=query.get("job_type") or [],
        status_filter=_states(query, violations),  # type: ignore[arg-type]
        label_selector=_labels(query, violations),
        schedule_id=first(query, "schedule_id"),
    )
    _raise(violations)
    return req


def logs_request(job_id: str, namespace: str, query: Query) -> pb.GetJobLogsRequest:
    violations: list[FieldViolation] = []
    req = pb.GetJobLogsRequest(
        job_id=job_id,
        namespace=namespace,
        follow=first(query, "follow") in ("1", "true"),
        tail_lines=_int(query, "tail_lines", violations, 100_000),
    )
    _raise(violations)
    return req


def next_runs(cron: str, time_zone: str, now: datetime, count: int = 3) -> list[str]:
    """The next ``count`` times (RFC 3339, UTC) a schedule fires after ``now``; empty when the
    expression or zone cannot be read here (Kubernetes is the judge of what runs)."""
    try:
        zone = ZoneInfo(time_zone or "UTC")
        runs = croniter(cron, now.astimezone(zone))
        times = [runs.get_next(datetime) for _ in range(count)]
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return []
    return [t.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ") for t in times]
