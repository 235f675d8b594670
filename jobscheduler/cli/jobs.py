"""``jobscheduler jobs ...``: the human client of a running server.

Every command talks gRPC to ``--server`` (default localhost:50054) through
``jobscheduler.client`` and prints a table (default) or protobuf JSON (``--output json``).
A failed call prints its status code, message and field violations and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli import output
from jobscheduler.cli.batchfile import schedule_from_file
from jobscheduler.cli.connection import add_connection_flags, client_from_args
from jobscheduler.cli.templates import add_template_commands
from jobscheduler.cli.typeflags import TypeFlags, UsageError, parse_pairs
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.jobtypes import HandlerRegistry, build_registry

EXIT_RPC_ERROR = 1
EXIT_USAGE = 2

# A command prints its answer; an exit code it returns says some of it failed (None: 0).
Command = Callable[[JobSchedulerClient, argparse.Namespace, TextIO], int | None]
_ACCESS_HINTS = {
    "UNAUTHENTICATED": "pass a Kubernetes token: --token, --token-file, $JOBSCHEDULER_TOKEN "
    'or a kubeconfig user with a token, e.g. --token "$(kubectl create token NAME)"',
    "PERMISSION_DENIED": "your Kubernetes user lacks the RBAC verb named above in that "
    "namespace; check with kubectl auth can-i",
}

__all__ = ["UsageError", "add_jobs_parser", "build_schedule_request"]


class _CommandParser(argparse.ArgumentParser):
    """A ``jobs`` command; ``schedule`` takes a job type name as its first word. (argparse
    cannot mix an optional leading word with the command words after ``--``, so the name is
    taken off before parsing.)"""

    job_types: frozenset[str] = frozenset()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        job_type = words.pop(0) if words and words[0] in self.job_types else None
        parsed, extras = super().parse_known_args(words, namespace)
        if self.job_types:
            parsed.job_type = job_type
        return parsed, extras


def add_jobs_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    registry: HandlerRegistry | None = None,
) -> None:
    """``registry``: the job types whose flags ``jobs schedule`` and ``jobs status`` know."""
    registry = registry or build_registry()
    type_flags = TypeFlags(registry)
    jobs = subparsers.add_parser("jobs", help="schedule, inspect and control jobs on a server")
    commands = jobs.add_subparsers(
        dest="jobs_command", required=True, metavar="COMMAND", parser_class=_CommandParser
    )

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        return command_in(commands, name, handler, help_text)

    def command_in(
        where: argparse._SubParsersAction[Any],
        name: str,
        handler: Command,
        help_text: str,
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = where.add_parser(
            name, help=help_text, description=help_text
        )
        add_connection_flags(parser)
        parser.add_argument("--output", "-o", choices=("table", "json"), default="table")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call")
        parser.set_defaults(handler=_runner(handler), registry=registry, type_flags=type_flags)
        return parser

    schedule = command(
        "schedule",
        _schedule,
        f"schedule a job: jobs schedule [TYPE] [flags], TYPE one of {', '.join(registry.names())}",
    )
    assert isinstance(schedule, _CommandParser)
    schedule.job_types = frozenset(registry.names())
    schedule.usage = "%(prog)s [TYPE] [flags] [-- COMMAND...]"
    _add_schedule_flags(schedule, type_flags)

    for name, handler, text in (
        ("status", _status, "show one job"),
        ("cancel", _cancel, "cancel a job (it then reads back as CANCELLED)"),
        ("suspend", _suspend, "suspend a job or schedule"),
        ("resume", _resume, "resume a suspended job or schedule"),
        ("delete", _delete, "delete a job or schedule and its pods"),
    ):
        parser = command(name, handler, text)
        parser.add_argument("job_id")
        parser.add_argument("--namespace", "-n", default="")

    listing = command("list", _list, "list jobs, newest first")
    listing.add_argument("--namespace", "-n", default="")
    listing.add_argument("--status", action="append", default=[], help="repeatable, e.g. running")
    listing.add_argument("--type", action="append", default=[], dest="job_types")
    listing.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    listing.add_argument("--schedule-id", default="")
    listing.add_argument("--created-by", default="", help="only jobs this user created")
    listing.add_argument("--depends-on", default="", metavar="ID", help="only jobs waiting on ID")
    listing.add_argument("--page-size", type=int, default=0)
    listing.add_argument("--page-token", default="")
    listing.add_argument("--all", action="store_true", help="follow every page")

    watch = command("watch", _watch, "stream state changes of a job (or of every job)")
    watch.add_argument("job_id", nargs="?", help="omit to watch every job")
    watch.add_argument("--namespace", "-n", default="")
    watch.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    watch.add_argument("--type", action="append", default=[], dest="job_types")

    logs = command("logs", _logs, "print a job's pod logs")
    logs.add_argument("job_id")
    logs.add_argument("--namespace", "-n", default="")
    logs.add_argument("--follow", "-f", action="store_true")
    logs.add_argument("--tail", type=int, default=0, help="last N lines of each pod")

    command("types", _types, "list the job types the server runs")
    schedules = command("schedules", _schedules, "list recurring schedules")
    schedules.add_argument("--namespace", "-n", default="")
    add_template_commands(commands, command_in)


def _add_schedule_flags(parser: argparse.ArgumentParser, type_flags: TypeFlags) -> None:
    parser.add_argument("--name", default="")
    parser.add_argument("--job-id", default="", help="client id; retrying with it is safe")
    parser.add_argument("--namespace", "-n", default="")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--annotation", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--created-by", default="")
    parser.add_argument("--template", default="", help="schedule from this job template")
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a template parameter"
    )
    type_flags.add_to(parser)
    parser.add_argument(
        "--request",
        metavar="FILE",
        help="a whole ScheduleJobRequest as JSON ('-' for stdin); flags given override it",
    )
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="many jobs: one ScheduleJobRequest per line as JSON ('-' for stdin), sent with "
        "ScheduleJobs; prints one line per request, exits 1 if any failed",
    )
    options = parser.add_argument_group("execution")
    options.add_argument("--cpu", default="", help="cpu request, e.g. 250m")
    options.add_argument("--memory", default="", help="memory request, e.g. 128Mi")
    options.add_argument("--timeout-seconds", type=int, default=0, dest="job_timeout")
    options.add_argument("--retries", type=int, default=None)
    options.add_argument("--ttl", type=int, default=None, help="seconds kept after finishing")
    options.add_argument("--suspended", action="store_true", help="create suspended")
    options.add_argument("--start-at", default="", help="ISO 8601 time of a delayed start")
    options.add_argument(
        "--depends-on",
        action="append",
        default=[],
        metavar="ID[:succeeded|failed|finished]",
        help="repeatable: wait for this job to end so (default succeeded)",
    )
    options.add_argument("--cron", default="", help="run on this cron schedule")
    options.add_argument("--time-zone", default="")


def _runner(handler: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        out = sys.stdout
        try:
            with client_from_args(args) as client:
                code = handler(client, args, out)
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except JobSchedulerRpcError as error:
            print(error.describe(), file=sys.stderr)
            if error.code.name == "UNAVAILABLE":
                print(f"  (is a jobscheduler server running at {args.server}?)", file=sys.stderr)
            elif error.code.name in _ACCESS_HINTS:
                print(f"  ({_ACCESS_HINTS[error.code.name]})", file=sys.stderr)
            return EXIT_RPC_ERROR
        except KeyboardInterrupt:
            return 130
        return code or 0

    return run


def build_schedule_request(args: argparse.Namespace) -> pb.ScheduleJobRequest:
    request = pb.ScheduleJobRequest()
    if args.request:
        text = sys.stdin.read() if args.request == "-" else _read_file(args.request)
        try:
            json_format.Parse(text, request)
        except json_format.ParseError as error:
            raise UsageError(f"--request: not a ScheduleJobRequest: {error}") from None
    for field in ("name", "job_id", "namespace", "created_by"):
        if getattr(args, field):
            setattr(request, field, getattr(args, field))
    request.labels.update(parse_pairs(args.label, "--label"))
    request.annotations.update(parse_pairs(args.annotation, "--annotation"))
    if args.template:
        request.template.name = args.template
    elif args.param:
        raise UsageError("--param goes with --template NAME")
    request.template.parameters.update(parse_pairs(args.param, "--param"))
    type_flags: TypeFlags = args.type_flags
    handler = type_flags.chosen_type(args)
    if handler is not None:
        config = handler.config_of(request)
        type_flags.apply(args, handler, config)
        config.SetInParent()  # a type named without flags is still chosen
    elif not request.WhichOneof("job_config") and not request.HasField("template"):
        raise UsageError(f"say what to run: {type_flags.usage_hint()}")
    if args.cpu:
        request.resources.requests.cpu = args.cpu
    if args.memory:
        request.resources.requests.memory = args.memory
    if args.job_timeout:
        request.execution.timeout_seconds = args.job_timeout
    if args.retries is not None:
        request.execution.max_retries = args.retries
    if args.ttl is not None:
        request.execution.ttl_seconds_after_finished = args.ttl
    if args.suspended:
        request.execution.start_suspended = True
    if args.start_at:
        try:
            start = datetime.fromisoformat(args.start_at.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"--start-at must be an ISO 8601 time (got {args.start_at!r})"
            ) from None
        if start.tzinfo is None:
            raise UsageError("--start-at needs a time zone, e.g. 2030-01-01T09:00:00Z")
        request.start_at.FromDatetime(start)
    for value in args.depends_on:
        request.depends_on.append(_dependency(value))
    if args.cron:
        request.schedule.cron = args.cron
    if args.time_zone:
        request.schedule.time_zone = args.time_zone
    return request


def _dependency(value: str) -> pb.JobDependency:
    job_id, _, condition = value.partition(":")
    conditions = ("succeeded", "failed", "finished")
    if not job_id or (condition and condition not in conditions):
        raise UsageError(f"--depends-on takes ID[:{'|'.join(conditions)}] (got {value!r})")
    return pb.JobDependency(
        job_id=job_id, condition=f"CONDITION_{(condition or 'succeeded').upper()}"
    )


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise UsageError(f"--request: {error}") from None


def _schedule(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int | None:
    if args.from_file:
        return schedule_from_file(client, args, out)
    reply = client.schedule_job(build_schedule_request(args))
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
        return None
    out.write(f"{reply.job_id} {output.status_name(reply.status)} ({reply.k8s_job_name})\n")
    if reply.message:
        out.write(f"{reply.message}\n")
    return None


def _status(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.get_job_status(args.job_id, args.namespace)
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
    else:
        output.write_job_details(out, reply.job_info, args.registry)


def _suspend(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    _print_job_reply(client.suspend_job(args.job_id, args.namespace), args, out)


def _resume(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    _print_job_reply(client.resume_job(args.job_id, args.namespace), args, out)


def _print_job_reply(
    reply: pb.SuspendJobResponse | pb.ResumeJobResponse, args: argparse.Namespace, out: TextIO
) -> None:
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
    else:
        output.write_jobs(out, [reply.job_info])


def _cancel(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.cancel_job(args.job_id, args.namespace)
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
    else:
        out.write(f"{args.job_id}: {reply.message or ('cancelled' if reply.success else '')}\n")


def _delete(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.delete_job(args.job_id, args.namespace)
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
    else:
        out.write(f"{args.job_id}: {reply.message or ('deleted' if reply.deleted else '')}\n")


def _list_request(args: argparse.Namespace) -> pb.ListJobsRequest:
    try:
        statuses = [output.parse_status(name) for name in args.status]
    except ValueError as error:
        raise UsageError(str(error)) from None
    return pb.ListJobsRequest(
        namespace=args.namespace,
        status_filter=statuses,  # type: ignore[arg-type]
        job_types=args.job_types,
        label_selector=parse_pairs(args.label, "--label"),
        schedule_id=args.schedule_id,
        created_by=args.created_by,
        depends_on=args.depends_on,
        page_size=args.page_size,
        page_token=args.page_token,
    )


def _list(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    request = _list_request(args)
    if args.all:
        jobs = list(client.iter_jobs(request))
        if args.output == "json":
            reply = pb.ListJobsResponse(jobs=jobs, total_count=len(jobs))
            out.write(output.to_json(reply) + "\n")
        else:
            output.write_jobs(out, jobs)
        return
    page = client.list_jobs(request)
    if args.output == "json":
        out.write(output.to_json(page) + "\n")
        return
    output.write_jobs(out, list(page.jobs))
    if page.next_page_token:
        out.write(f"(more: --page-token {page.next_page_token})\n")


def _watch(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    if args.job_id:
        events = client.watch_job(args.job_id, args.namespace)
    else:
        request = pb.WatchJobsRequest(
            namespace=args.namespace,
            label_selector=parse_pairs(args.label, "--label"),
            job_types=args.job_types,
        )
        events = client.watch_jobs(request)
    for event in events:
        if args.output == "json":
            out.write(output.to_json(event, indent=None) + "\n")
        else:
            kind = pb.JobEvent.Type.Name(event.type).removeprefix("TYPE_")
            job = event.job
            reason = f" {job.reason}" if job.reason else ""
            out.write(
                f"{kind:<8} {job.job_id} {output.status_name(job.status)}{reason} "
                f"active={job.active} succeeded={job.succeeded} failed={job.failed}\n"
            )
        out.flush()


def _logs(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    chunks = client.get_job_logs(
        args.job_id, args.namespace, follow=args.follow, tail_lines=args.tail
    )
    for chunk in chunks:
        if args.output == "json":
            out.write(output.to_json(chunk, indent=None) + "\n")
        else:
            out.write(chunk.text)
        out.flush()


def _types(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.list_job_types()
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
        return
    rows = [
        (t.name, t.request_field, t.default_image or "-", t.description) for t in reply.job_types
    ]
    output.write_table(out, ("TYPE", "REQUEST FIELD", "DEFAULT IMAGE", "DESCRIPTION"), rows)


def _schedules(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.list_schedules(pb.ListSchedulesRequest(namespace=args.namespace))
    if args.output == "json":
        out.write(output.to_json(reply) + "\n")
        return
    rows = [
        (
            s.job_id,
            s.name or "-",
            f"{s.schedule.cron} {s.schedule.time_zone}".strip(),
            output.status_name(s.status),
            output.format_time(s.last_schedule_time.seconds),
        )
        for s in reply.schedules
    ]
    output.write_table(out, ("JOB ID", "NAME", "SCHEDULE", "STATUS", "LAST RUN"), rows)
