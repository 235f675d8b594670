"""Waiting for jobs to end, with exit codes a script or CI step can branch on.

    0    every job succeeded (``--for finished``: every job reached a final state)
    1    a job failed, was cancelled or was deleted (or a call failed)
    124  the time given with ``--timeout`` ran out first (as timeout(1) exits)

Waiting uses WatchJob, whose first event is the job's current state and which ends when the
job reaches a final one: one stream per job, no polling and no listing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.typeflags import UsageError
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError

EXIT_SUCCEEDED = 0
EXIT_JOB_FAILED = 1
EXIT_TIMEOUT = 124
FINAL = frozenset({pb.JOB_STATUS_SUCCEEDED, pb.JOB_STATUS_FAILED, pb.JOB_STATUS_CANCELLED})
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str, flag: str) -> float:
    """``90``, ``90s``, ``5m``, ``1h30m`` -> seconds."""
    value = text.strip()
    match = _DURATION.fullmatch(value)
    if value.replace(".", "", 1).isdigit():
        seconds = float(value)
    elif value and match is not None:
        hours, minutes, secs = match.groups()
        seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
    else:
        raise UsageError(f"{flag}: not a duration (got {text!r}; e.g. 90, 90s, 5m, 1h30m)")
    if seconds < 0:
        raise UsageError(f"{flag}: must not be negative")
    return seconds


@dataclass(frozen=True)
class Outcome:
    job_id: str
    job: pb.JobInfo | None  # the last state seen (None: never seen)
    timed_out: bool = False
    deleted: bool = False


def exit_code(outcomes: Iterable[Outcome], until: str) -> int:
    """``until``: "succeeded" or "finished"."""
    worst = EXIT_SUCCEEDED
    for outcome in outcomes:
        if outcome.timed_out:
            return EXIT_TIMEOUT
        failed = outcome.job is None or outcome.job.status != pb.JOB_STATUS_SUCCEEDED
        if outcome.deleted or (until == "succeeded" and failed):
            worst = EXIT_JOB_FAILED
    return worst


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def follow_job(
    client: JobSchedulerClient,
    job_id: str,
    namespace: str,
    deadline: float | None,
    on_event: Callable[[pb.JobEvent], None] = lambda event: None,
) -> Outcome:
    """Watch one job until it is final, deleted or ``deadline`` (monotonic) passes."""
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    last: pb.JobInfo | None = None
    stream = client.watch_job(job_id, namespace, timeout=timeout)
    try:
        for event in stream:
            on_event(event)
            if event.type == pb.JobEvent.TYPE_DELETED:
                return Outcome(job_id, event.job, deleted=True)
            last = event.job
            if last.status in FINAL:
                return Outcome(job_id, last)
    except JobSchedulerRpcError as error:
        if error.code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return Outcome(job_id, last, timed_out=True)
        raise
    finally:
        stream.close()
    # The server ended the stream before a final state (it is shutting down): no answer.
    raise JobSchedulerRpcError(
        grpc.StatusCode.UNAVAILABLE, f"the server ended the watch of {job_id} before it finished"
    )
