"""Rendering responses: ``-o table`` (default) and ``wide`` for people, ``json``, ``yaml`` and
``name`` (one job id per line) for programs.

JSON and YAML are the canonical protobuf JSON mapping with the proto's own field names
(``job_id``, not ``jobId``), so they match what grpcurl and the proto document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from croniter import croniter
from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry

FORMATS = ("table", "wide", "json", "yaml", "name")
# Formats that print one message per response (json, yaml) rather than rows.
MACHINE_FORMATS = ("json", "yaml")


def to_json(message: Message, *, indent: int | None = 2) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True, indent=indent)


def to_yaml(message: Message) -> str:
    as_dict = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return str(yaml.safe_dump(as_dict, sort_keys=False, default_flow_style=False))


def write_message(out: TextIO, message: Message, fmt: str, *, stream: bool = False) -> None:
    """One response as JSON or YAML; ``stream``: one JSON object per line, YAML documents."""
    if fmt == "yaml":
        out.write(("---\n" if stream else "") + to_yaml(message))
    else:
        out.write(to_json(message, indent=None if stream else 2) + "\n")


def write_reply(
    out: TextIO, reply: Message, fmt: str, name: str, for_people: Callable[[], object]
) -> None:
    """One RPC's answer as ``-o`` asks: the message itself (json, yaml), the name of the object
    it is about (name), or what ``for_people`` writes (table, wide)."""
    if fmt in MACHINE_FORMATS:
        write_message(out, reply, fmt)
    elif fmt == "name":
        out.write(f"{name}\n")
    else:
        for_people()


def status_name(status: int) -> str:
    """``JOB_STATUS_RUNNING`` -> ``RUNNING``."""
    return pb.JobStatus.Name(status).removeprefix("JOB_STATUS_")


def parse_status(name: str) -> int:
    """``running`` or ``JOB_STATUS_RUNNING`` -> the enum value (ValueError if unknown)."""
    upper = name.strip().upper()
    full = upper if upper.startswith("JOB_STATUS_") else f"JOB_STATUS_{upper}"
    try:
        return int(pb.JobStatus.Value(full))
    except ValueError:
        known = ", ".join(
            v.name.removeprefix("JOB_STATUS_").lower()
            for v in pb.JobStatus.DESCRIPTOR.values
            if v.number
        )
        raise ValueError(f"unknown status {name!r}; use one of {known}") from None


def format_time(unix_seconds: int) -> str:
    if not unix_seconds:
        return "-"
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def human_duration(seconds: float) -> str:
    """kubectl's short durations: 45s, 4m30s, 25m, 5h10m, 30h, 3d4h, 120d, 3y."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 600:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


def age(unix_seconds: int, now: float) -> str:
    return human_duration(now - unix_seconds) if unix_seconds else "-"


def duration(job: pb.JobInfo, now: float) -> str:
    """How long it ran: start to completion, or to now while it runs ("-" before it starts)."""
    if not job.started_at:
        return "-"
    end = job.completed_at or now
    return human_duration(end - job.started_at)


def next_run(schedule: pb.JobInfo, now: datetime) -> str:
    """When a schedule starts its next run, from its cron expression in its time zone."""
    if schedule.status != pb.JOB_STATUS_SCHEDULED or not schedule.schedule.cron:
        return "-"
    try:
        zone = ZoneInfo(schedule.schedule.time_zone or "UTC")
        upcoming = croniter(schedule.schedule.cron, now.astimezone(zone)).get_next(datetime)
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return "?"
    return str(upcoming.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"))


def job_header(*, wide: bool, all_namespaces: bool) -> tuple[str, ...]:
    header: tuple[str, ...] = ("JOB ID", "NAME", "TYPE", "STATUS", "REASON", "AGE", "DURATION")
    if wide:
        header += ("ATTEMPTS", "PODS A/S/F", "CREATED", "SCHEDULE ID", "RERUN OF", "MESSAGE")
    return (("NAMESPACE", *header)) if all_namespaces else header


def job_row(job: pb.JobInfo, now: float, *, wide: bool, all_namespaces: bool) -> tuple[str, ...]:
    row: tuple[str, ...] = (
        job.job_id,
        job.name or "-",
        job.job_type or "-",
        status_name(job.status),
        job.reason or "-",
        age(job.created_at, now),
        duration(job, now),
    )
    if wide:
        row += (
            str(job.attempts),
            f"{job.active}/{job.succeeded}/{job.failed}",
            format_time(job.created_at),
            job.schedule_id or "-",
            job.rerun_of or "-",
            job.message or "-",
        )
    return (job.namespace, *row) if all_namespaces else row


def write_table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in (header, *rows):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")


def write_jobs(
    out: TextIO,
    jobs: Sequence[pb.JobInfo],
    fmt: str = "table",
    *,
    all_namespaces: bool = False,
    now: float | None = None,
) -> None:
    """Jobs as a table (``wide``: more columns) or, for ``name``, one job id per line."""
    if fmt == "name":
        out.writelines(f"{job.job_id}\n" for job in jobs)
        return
    moment = datetime.now(UTC).timestamp() if now is None else now
    wide = fmt == "wide"
    header = job_header(wide=wide, all_namespaces=all_namespaces)
    rows = [job_row(j, moment, wide=wide, all_namespaces=all_namespaces) for j in jobs]
    write_table(out, header, rows)


def write_schedules(
    out: TextIO, schedules: Sequence[pb.JobInfo], fmt: str, *, all_namespaces: bool = False
) -> None:
    if fmt == "name":
        out.writelines(f"{s.job_id}\n" for s in schedules)
        return
    now = datetime.now(UTC)
    header: tuple[str, ...] = ("JOB ID", "NAME", "SCHEDULE", "STATUS", "LAST RUN", "NEXT RUN")
    header += ("AGE",)
    rows = []
    for s in schedules:
        row: tuple[str, ...] = (
            s.job_id,
            s.name or "-",
            f"{s.schedule.cron} {s.schedule.time_zone}".strip(),
            status_name(s.status),
            format_time(s.last_schedule_time.seconds),
            next_run(s, now),
            age(s.created_at, now.timestamp()),
        )
        rows.append((s.namespace, *row) if all_namespaces else row)
    write_table(out, ("NAMESPACE", *header) if all_namespaces else header, rows)


def write_job_details(out: TextIO, job: pb.JobInfo, registry: HandlerRegistry) -> None:
    """One job, one fact per line, the way ``kubectl describe`` reads; the job type's own
    lines come from its handler in ``registry``."""
    now = datetime.now(UTC)
    facts: list[tuple[str, str]] = [
        ("Job ID", job.job_id),
        ("Name", job.name or "-"),
        ("Type", job.job_type or "-"),
        ("Status", status_name(job.status)),
    ]
    if job.reason:
        facts.append(("Reason", job.reason))
    if job.message:
        facts.append(("Message", job.message))
    facts += [
        ("Namespace", job.namespace),
        ("Kubernetes", f"{job.k8s_kind or 'Job'}/{job.k8s_job_name}"),
        ("Created", f"{format_time(job.created_at)} ({age(job.created_at, now.timestamp())} ago)"),
        ("Started", format_time(job.started_at)),
        ("Completed", format_time(job.completed_at)),
        ("Duration", duration(job, now.timestamp())),
        ("Pods", f"{job.active} active, {job.succeeded} succeeded, {job.failed} failed"),
    ]
    if job.schedule.cron:
        facts.append(("Schedule", f"{job.schedule.cron} {job.schedule.time_zone}".strip()))
        facts.append(("Next run", next_run(job, now)))
    if job.schedule_id and job.schedule_id != job.job_id:
        facts.append(("Schedule ID", job.schedule_id))
    if job.rerun_of:
        facts.append(("Rerun of", job.rerun_of))
    if job.HasField("start_at"):
        facts.append(("Starts at", format_time(job.start_at.seconds)))
    if job.depends_on:
        conditions = {
            number: name.removeprefix("CONDITION_").lower()
            for name, number in pb.JobDependency.Condition.items()
        }
        listed = ", ".join(f"{d.job_id} ({conditions[d.condition]})" for d in job.depends_on)
        facts.append(("Depends on", listed))
    if job.waiting_for:
        facts.append(("Waiting for", ", ".join(job.waiting_for)))
    handler = registry.by_details_field(job.WhichOneof("job_details") or "")
    if handler is not None:
        facts += handler.detail_rows(handler.details_of(job))
    if job.labels:
        facts.append(("Labels", ",".join(f"{k}={v}" for k, v in sorted(job.labels.items()))))
    width = max(len(key) for key, _ in facts) + 1
    for key, value in facts:
        out.write(f"{(key + ':').ljust(width)} {value}\n")
