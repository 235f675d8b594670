"""``jobs schedule --from-file FILE``: one ScheduleJobRequest per line (proto JSON), sent with
ScheduleJobs in chunks, one printed line per request.

The whole file is parsed before anything is sent, so a malformed line schedules nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli import output
from jobscheduler.cli.typeflags import TypeFlags, UsageError
from jobscheduler.client import MAX_BATCH_ITEMS, JobSchedulerClient, JobSchedulerRpcError

# A chunk's requests stay under this many bytes, so its answer (each job read back, about as
# large as its request plus what the server adds) fits gRPC's default 4 MiB message limit.
MAX_CHUNK_BYTES = 1024 * 1024
EXIT_SOME_FAILED = 1
# Flags that describe one request; with --from-file the file does.
_SINGLE_REQUEST_FLAGS = {
    "name": "--name",
    "job_id": "--job-id",
    "namespace": "--namespace",
    "label": "--label",
    "annotation": "--annotation",
    "created_by": "--created-by",
    "request": "--request",
    "cpu": "--cpu",
    "memory": "--memory",
    "job_timeout": "--timeout-seconds",
    "retries": "--retries",
    "ttl": "--ttl",
    "suspended": "--suspended",
    "start_at": "--start-at",
    "cron": "--cron",
    "time_zone": "--time-zone",
}
_ITEM_PREFIX = re.compile(r"requests\[\d+\]\.")

Line = tuple[int, pb.ScheduleJobRequest]


def schedule_from_file(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int:
    _refuse_single_request_flags(args)
    lines = read_requests(args.from_file)
    if not lines:
        raise UsageError(f"--from-file {args.from_file}: no requests in it")
    failed = 0
    for chunk in chunks(lines):
        results = client.schedule_jobs(request for _, request in chunk)
        for (number, _), result in zip(chunk, results, strict=True):
            failed += isinstance(result, JobSchedulerRpcError)
            out.write(_describe(number, result, json_output=args.output == "json") + "\n")
        out.flush()
    return EXIT_SOME_FAILED if failed else 0


def _refuse_single_request_flags(args: argparse.Namespace) -> None:
    type_flags: TypeFlags = args.type_flags
    given = [flag for dest, flag in _SINGLE_REQUEST_FLAGS.items() if getattr(args, dest)]
    if args.job_type or type_flags.chosen_type(args) is not None:
        given.append("a job type and its flags")
    if given:
        raise UsageError(f"--from-file takes every request from the file, not {', '.join(given)}")


def read_requests(path: str) -> list[Line]:
    """(line number, request) for each non-blank line of ``path`` ('-': stdin)."""
    if path == "-":
        return _parse(sys.stdin, "stdin")
    try:
        with open(path, encoding="utf-8") as handle:
            return _parse(handle, path)
    except OSError as error:
        raise UsageError(f"--from-file: {error}") from None


def _parse(lines: TextIO, source: str) -> list[Line]:
    parsed = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        request = pb.ScheduleJobRequest()
        try:
            json_format.Parse(text, request)
        except json_format.ParseError as error:
            raise UsageError(f"{source}:{number}: not a ScheduleJobRequest: {error}") from None
        parsed.append((number, request))
    return parsed


def chunks(lines: Sequence[Line]) -> Iterator[list[Line]]:
    """Consecutive runs of at most MAX_BATCH_ITEMS requests and (beyond one) MAX_CHUNK_BYTES."""
    chunk: list[Line] = []
    size = 0
    for line in lines:
        item_size = line[1].ByteSize()
        if chunk and (len(chunk) == MAX_BATCH_ITEMS or size + item_size > MAX_CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += item_size
    if chunk:
        yield chunk


def _describe(
    number: int, result: pb.ScheduleJobResponse | JobSchedulerRpcError, *, json_output: bool
) -> str:
    if isinstance(result, pb.ScheduleJobResponse):
        if json_output:
            return json.dumps({"line": number, "job": json.loads(output.to_json(result))})
        return f"{result.job_id} {output.status_name(result.status)}"
    # Paths name the request's place in its chunk; the line number says which one it is.
    violations = [
        (_ITEM_PREFIX.sub("", v.field, count=1), v.description) for v in result.violations
    ]
    message = _ITEM_PREFIX.sub("", result.message)
    if json_output:
        error = {
            "code": result.code.name,
            "message": message,
            "violations": [{"field": f, "description": d} for f, d in violations],
        }
        return json.dumps({"line": number, "error": error})
    return f"line {number}: error: {result.code.name}: {message}"
