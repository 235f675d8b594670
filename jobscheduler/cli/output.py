"""Rendering responses for people (``--output table``) and programs (``--output json``).

JSON is the canonical protobuf JSON mapping with the proto's own field names (``job_id``, not
``jobId``), so it matches what grpcurl and the proto document.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from google.protobuf import json_format
from google.protobuf.message import Message

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes import HandlerRegistry

JOB_COLUMNS = ("JOB ID", "NAME", "TYPE", "STATUS", "REASON", "CREATED", "NAMESPACE")


def to_json(message: Message, *, indent: int | None = 2) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True, indent=indent)


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


def job_row(job: pb.JobInfo) -> tuple[str, ...]:
    return (
        job.job_id,
        job.name or "-",
        job.job_type or "-",
        status_name(job.status),
        job.reason or "-",
        format_time(job.created_at),
        job.namespace,
    )


def write_table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for row in (header, *rows):
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write(line.rstrip() + "\n")


def write_jobs(out: TextIO, jobs: Sequence[pb.JobInfo]) -> None:
    write_table(out, JOB_COLUMNS, [job_row(job) for job in jobs])


def write_job_details(out: TextIO, job: pb.JobInfo, registry: HandlerRegistry) -> None:
    """One job, one fact per line, the way ``kubectl describe`` reads; the job type's own
    lines come from its handler in ``registry``."""
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
        ("Created", format_time(job.created_at)),
        ("Started", format_time(job.started_at)),
        ("Completed", format_time(job.completed_at)),
        ("Pods", f"{job.active} active, {job.succeeded} succeeded, {job.failed} failed"),
    ]
    if job.schedule.cron:
        facts.append(("Schedule", f"{job.schedule.cron} {job.schedule.time_zone}".strip()))
    if job.schedule_id:
        facts.append(("Schedule ID", job.schedule_id))
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
