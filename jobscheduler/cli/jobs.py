"""``jobscheduler jobs ...``: the client of a running server, for people and for scripts.

Every command talks gRPC to the server ``connection`` resolves (``--server``, the environment,
the config file) through ``jobscheduler.client`` and prints a table (default, ``wide``) or
``json``, ``yaml`` or ``name`` (``output``). A failed call prints its status code, message and
field violations and exits 1; waiting commands exit as ``waiting`` says (0, 1, 124).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from google.protobuf import json_format

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli import output
from jobscheduler.cli.batchfile import schedule_from_file
from jobscheduler.cli.connection import (
    DEFAULT_REQUEST_TIMEOUT,
    NAMESPACE_ENV,
    add_connection_flags,
    connect,
    resolve,
)
from jobscheduler.cli.templates import add_template_commands
from jobscheduler.cli.typeflags import TypeFlags, UsageError, parse_pairs
from jobscheduler.cli.waiting import Outcome, exit_code, follow_job, parse_duration, timestamp
from jobscheduler.client import DEFAULT_TARGET, JobSchedulerClient, JobSchedulerRpcError
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

    def command(
        name: str,
        handler: Command,
        help_text: str,
        *,
        aliases: Sequence[str] = (),
        waits: bool = False,
    ) -> argparse.ArgumentParser:
        return command_in(commands, name, handler, help_text, aliases=aliases, waits=waits)

    def command_in(
        where: argparse._SubParsersAction[Any],
        name: str,
        handler: Command,
        help_text: str,
        *,
        aliases: Sequence[str] = (),
        waits: bool = False,
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = where.add_parser(
            name, help=help_text, description=help_text, aliases=list(aliases)
        )
        add_connection_flags(parser)
        parser.add_argument("--output", "-o", choices=output.FORMATS, default="table")
        timeouts = ["--request-timeout"] if waits else ["--request-timeout", "--timeout"]
        parser.add_argument(
            *timeouts,
            dest="request_timeout",
            type=float,
            default=DEFAULT_REQUEST_TIMEOUT,
            metavar="SECONDS",
            help=f"seconds per call (default {DEFAULT_REQUEST_TIMEOUT:g})",
        )
        parser.set_defaults(handler=_runner(handler), registry=registry, type_flags=type_flags)
        return parser

    schedule = command(
        "schedule",
        _schedule,
        f"schedule a job: jobs schedule [TYPE] [flags], TYPE one of {', '.join(registry.names())}",
        waits=True,
    )
    assert isinstance(schedule, _CommandParser)
    schedule.job_types = frozenset(registry.names())
    schedule.usage = "%(prog)s [TYPE] [flags] [-- COMMAND...]"
    _add_schedule_flags(schedule, type_flags)
    _add_wait_flags(schedule, "--wait-timeout", with_wait=True)

    status = command("status", _status, "show one job", aliases=("get",))
    status.add_argument("job_id")
    status.add_argument(
        "--fresh",
        action="store_true",
        help="read from the API server, not the server's watch cache (another replica's "
        "write reaches the cache a watch delay later)",
    )
    _add_namespace(status)
    for name, handler, text in (
        ("cancel", _cancel, "cancel a job (it then reads back as CANCELLED)"),
        ("suspend", _suspend, "suspend a job or schedule"),
        ("resume", _resume, "resume a suspended job or schedule"),
        ("delete", _delete, "delete a job or schedule and its pods"),
    ):
        parser = command(name, handler, text)
        parser.add_argument("job_id")
        _add_namespace(parser)

    rerun = command(
        "rerun",
        _rerun,
        "run a job (or a schedule, once) again: a new job from its stored request",
        waits=True,
    )
    rerun.add_argument("job_id")
    _add_namespace(rerun)
    rerun.add_argument("--job-id", default="", dest="new_job_id", help="id of the new job")
    _add_wait_flags(rerun, "--wait-timeout", with_wait=True)

    wait = command(
        "wait",
        _wait,
        "wait for jobs to end: exit 0 succeeded, 1 failed or cancelled, 124 timed out",
        waits=True,
    )
    wait.add_argument("job_ids", nargs="+", metavar="JOB_ID")
    _add_namespace(wait)
    _add_wait_flags(wait, "--timeout", with_wait=False)

    listing = command("list", _list, "list jobs, newest first")
    _add_namespace(listing, all_namespaces=True)
    listing.add_argument("--status", action="append", default=[], help="repeatable, e.g. running")
    listing.add_argument("--type", action="append", default=[], dest="job_types")
    listing.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    listing.add_argument("--schedule-id", default="")
    listing.add_argument("--created-by", default="", help="only jobs this user created")
    listing.add_argument("--depends-on", default="", metavar="ID", help="only jobs waiting on ID")
    listing.add_argument("--page-size", type=int, default=0)
    listing.add_argument("--page-token", default="")
    listing.add_argument("--all", action="store_true", help="follow every page")

    watch = command(
        "watch",
        _watch,
        "stream state changes of a job (exit codes as jobs wait) or of every job",
        waits=True,
    )
    watch.add_argument("job_id", nargs="?", help="omit to watch every job")
    _add_namespace(watch, all_namespaces=True)
    watch.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    watch.add_argument("--type", action="append", default=[], dest="job_types")
    watch.add_argument(
        "--timeout", default="", metavar="DURATION", help="stop after this long (exit 124)"
    )

    logs = command("logs", _logs, "print a job's pod logs", waits=True)
    logs.add_argument("job_id")
    _add_namespace(logs)
    logs.add_argument("--follow", "-f", action="store_true")
    logs.add_argument("--tail", type=int, default=0, help="last N lines of each pod")
    logs.add_argument("--since", default="", metavar="DURATION", help="only newer lines, e.g. 10m")
    logs.add_argument(
        "--previous", action="store_true", help="only the failed attempts a retry replaced"
    )
    logs.add_argument(
        "--prefix",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start each line with [POD] (default: when the job has more than one pod)",
    )

    command("types", _types, "list the job types the server runs")
    schedules = command("schedules", _schedules, "list recurring schedules with their next run")
    _add_namespace(schedules, all_namespaces=True)
    add_template_commands(commands, command_in)


def _add_namespace(parser: argparse.ArgumentParser, *, all_namespaces: bool = False) -> None:
    parser.add_argument("--namespace", "-n", default="", help=f"(env {NAMESPACE_ENV}, config file)")
    if all_namespaces:
        parser.add_argument("--all-namespaces", "-A", action="store_true", help="every namespace")


def _add_wait_flags(parser: argparse.ArgumentParser, timeout_flag: str, *, with_wait: bool) -> None:
    group = parser.add_argument_group("waiting")
    if with_wait:
        group.add_argument(
            "--wait", action="store_true", help="then wait for the job to end (as jobs wait)"
        )
    group.add_argument(
        "--for",
        dest="wait_for",
        choices=("succeeded", "finished"),
        default="succeeded",
        help="succeeded (default): exit 1 if it fails; finished: exit 0 once it ends",
    )
    group.add_argument(
        timeout_flag,
        dest="wait_timeout",
        default="",
        metavar="DURATION",
        help="give up after this long, exit 124 (e.g. 90s, 5m; default: no limit)",
    )


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
        server = args.server or DEFAULT_TARGET
        try:
            settings = resolve(args)
            server = settings.server
            args.namespace = "" if getattr(args, "all_namespaces", False) else settings.namespace
            with connect(settings) as client:
                code = handler(client, args, out)
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except JobSchedulerRpcError as error:
            print(error.describe(), file=sys.stderr)
            if error.code.name == "UNAVAILABLE":
                print(f"  (is a jobscheduler server running at {server}?)", file=sys.stderr)
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
        if args.wait:
            raise UsageError("--wait waits for one job; with --from-file use jobs wait")
        return schedule_from_file(client, args, out)
    deadline = _deadline(args.wait_timeout, "--wait-timeout")
    reply = client.schedule_job(build_schedule_request(args))
    _print_created(out, args, reply, reply.message)
    if not args.wait:
        return None
    if reply.job_info.k8s_kind == "CronJob":
        raise UsageError("--wait waits for a job; a schedule never ends (wait for one of its runs)")
    return _wait_for(client, [reply.job_id], args, deadline, out)


def _print_created(
    out: TextIO,
    args: argparse.Namespace,
    reply: pb.ScheduleJobResponse | pb.RerunJobResponse,
    message: str,
) -> None:
    lines = [f"{reply.job_id} {output.status_name(reply.status)}\n"]
    lines += [f"{message}\n"] if message else []
    output.write_reply(out, reply, args.output, reply.job_id, lambda: out.writelines(lines))
    out.flush()


def _rerun(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int | None:
    deadline = _deadline(args.wait_timeout, "--wait-timeout")
    reply = client.rerun_job(args.job_id, args.namespace, new_job_id=args.new_job_id)
    _print_created(out, args, reply, reply.message)
    if not args.wait:
        return None
    return _wait_for(client, [reply.job_id], args, deadline, out)


def _deadline(text: str, flag: str) -> float | None:
    """The monotonic time a wait gives up at (None: never)."""
    if not text:
        return None
    return time.monotonic() + parse_duration(text, flag)


def _wait(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int:
    return _wait_for(client, args.job_ids, args, _deadline(args.wait_timeout, "--timeout"), out)


def _wait_for(
    client: JobSchedulerClient,
    job_ids: Sequence[str],
    args: argparse.Namespace,
    deadline: float | None,
    out: TextIO,
) -> int:
    """One line per job as it ends (``-o json``/``yaml``: its JobInfo), then the exit code."""
    outcomes = []
    for job_id in job_ids:
        outcome = follow_job(client, job_id, args.namespace, deadline)
        outcomes.append(outcome)
        _print_outcome(out, outcome, args.output)
        if outcome.timed_out:
            break
    return exit_code(outcomes, args.wait_for)


def _print_outcome(out: TextIO, outcome: Outcome, fmt: str) -> None:
    if fmt in output.MACHINE_FORMATS and outcome.job is not None:
        output.write_message(out, outcome.job, fmt, stream=True)
    elif fmt == "name":
        out.write(f"{outcome.job_id}\n")
    elif outcome.timed_out:
        state = output.status_name(outcome.job.status) if outcome.job else "unknown"
        out.write(f"{outcome.job_id} timed out waiting (still {state})\n")
    elif outcome.deleted:
        out.write(f"{outcome.job_id} DELETED\n")
    elif outcome.job is not None:
        reason = f" {outcome.job.reason}" if outcome.job.reason else ""
        out.write(f"{outcome.job_id} {output.status_name(outcome.job.status)}{reason}\n")
    out.flush()


def _status(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.get_job_status(args.job_id, args.namespace, fresh=args.fresh)
    output.write_reply(
        out,
        reply,
        args.output,
        reply.job_id,
        lambda: output.write_job_details(out, reply.job_info, args.registry),
    )


def _suspend(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    _print_job_reply(client.suspend_job(args.job_id, args.namespace), args, out)


def _resume(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    _print_job_reply(client.resume_job(args.job_id, args.namespace), args, out)


def _print_job_reply(
    reply: pb.SuspendJobResponse | pb.ResumeJobResponse, args: argparse.Namespace, out: TextIO
) -> None:
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, reply, args.output)
    else:
        output.write_jobs(out, [reply.job_info], args.output)


def _cancel(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.cancel_job(args.job_id, args.namespace)
    said = reply.message or ("cancelled" if reply.success else "")
    output.write_reply(
        out, reply, args.output, args.job_id, lambda: out.write(f"{args.job_id}: {said}\n")
    )


def _delete(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.delete_job(args.job_id, args.namespace)
    said = reply.message or ("deleted" if reply.deleted else "")
    output.write_reply(
        out, reply, args.output, args.job_id, lambda: out.write(f"{args.job_id}: {said}\n")
    )


def _list_request(args: argparse.Namespace) -> pb.ListJobsRequest:
    try:
        statuses = [output.parse_status(name) for name in args.status]
    except ValueError as error:
        raise UsageError(str(error)) from None
    return pb.ListJobsRequest(
        namespace=args.namespace,
        all_namespaces=args.all_namespaces,
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
        page = pb.ListJobsResponse(jobs=jobs, total_count=len(jobs))
    else:
        page = client.list_jobs(request)
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, page, args.output)
        return
    output.write_jobs(out, list(page.jobs), args.output, all_namespaces=args.all_namespaces)
    if page.next_page_token and args.output != "name":
        out.write(f"(more: --page-token {page.next_page_token})\n")


def _watch(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int:
    deadline = _deadline(args.timeout, "--timeout")

    if args.job_id and args.all_namespaces:
        raise UsageError("--all-namespaces watches every job: give no job id with it")

    def show(event: pb.JobEvent) -> None:
        job = event.job
        # Across namespaces a job id alone is ambiguous: lines name the job's namespace too.
        where = f"{job.namespace}/{job.job_id}" if args.all_namespaces else job.job_id
        if args.output in output.MACHINE_FORMATS:
            output.write_message(out, event, args.output, stream=True)
        elif args.output == "name":
            out.write(f"{where}\n")
        else:
            kind = pb.JobEvent.Type.Name(event.type).removeprefix("TYPE_")
            reason = f" {job.reason}" if job.reason else ""
            out.write(
                f"{timestamp()} {kind:<8} {where} {output.status_name(job.status)}{reason} "
                f"active={job.active} succeeded={job.succeeded} failed={job.failed}\n"
            )
        out.flush()

    if args.job_id:
        outcome = follow_job(client, args.job_id, args.namespace, deadline, show)
        return exit_code([outcome], "succeeded")
    request = pb.WatchJobsRequest(
        namespace=args.namespace,
        label_selector=parse_pairs(args.label, "--label"),
        job_types=args.job_types,
        all_namespaces=args.all_namespaces,
    )
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        for event in client.watch_jobs(request, timeout=timeout):
            show(event)
    except JobSchedulerRpcError as error:
        if error.code.name != "DEADLINE_EXCEEDED":
            raise
    return 0


def _logs(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> int:
    since = int(parse_duration(args.since, "--since")) if args.since else 0
    if args.tail < 0:
        raise UsageError("--tail must not be negative")
    # One small read first: whether to name the pods, and why there may be nothing to show.
    job = client.get_job_status(args.job_id, args.namespace).job_info
    prefix = args.prefix if args.prefix is not None else job.attempts > 1
    chunks = client.get_job_logs(
        args.job_id,
        args.namespace,
        follow=args.follow,
        tail_lines=args.tail,
        since_seconds=since,
        previous=args.previous,
    )
    printed = 0
    noted_kept = False
    for chunk in chunks:
        printed += 1
        if chunk.kept and not noted_kept:
            # Kept logs are the tail of what the pods printed, kept when they were stopped.
            print(f"{args.job_id}: (kept logs: pods are gone)", file=sys.stderr)
            noted_kept = True
        if args.output in output.MACHINE_FORMATS:
            output.write_message(out, chunk, args.output, stream=True)
        elif prefix:
            out.writelines(f"[{chunk.pod_name}] {line}\n" for line in chunk.text.splitlines())
        else:
            out.write(chunk.text)
        out.flush()
    if printed:
        return 0
    return _explain_no_logs(client, args, job)


def _explain_no_logs(client: JobSchedulerClient, args: argparse.Namespace, job: pb.JobInfo) -> int:
    """Nothing printed: say why on stderr; exit 1 when there can be no logs at all."""
    if args.follow:  # the job may have changed while we followed it
        job = client.get_job_status(args.job_id, args.namespace).job_info
    if job.status == pb.JOB_STATUS_CANCELLED:
        print(
            f"{args.job_id}: no logs: the job was cancelled and its pods were removed",
            file=sys.stderr,
        )
        return EXIT_RPC_ERROR
    if args.previous:
        print(f"{args.job_id}: no earlier attempts (no failed pod was retried)", file=sys.stderr)
    elif not job.attempts:
        print(f"{args.job_id}: no logs: no pod has started yet", file=sys.stderr)
    return 0


def _types(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    reply = client.list_job_types()
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, reply, args.output)
        return
    if args.output == "name":
        out.writelines(f"{t.name}\n" for t in reply.job_types)
        return
    rows = [
        (t.name, t.request_field, t.default_image or "-", t.description) for t in reply.job_types
    ]
    output.write_table(out, ("TYPE", "REQUEST FIELD", "DEFAULT IMAGE", "DESCRIPTION"), rows)


def _schedules(client: JobSchedulerClient, args: argparse.Namespace, out: TextIO) -> None:
    request = pb.ListSchedulesRequest(namespace=args.namespace, all_namespaces=args.all_namespaces)
    reply = client.list_schedules(request)
    if args.output in output.MACHINE_FORMATS:
        output.write_message(out, reply, args.output)
        return
    output.write_schedules(
        out, list(reply.schedules), args.output, all_namespaces=args.all_namespaces
    )
