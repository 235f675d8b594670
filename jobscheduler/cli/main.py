"""Entry point of the ``jobscheduler`` command (``python -m jobscheduler`` too)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from grpc_health.v1 import health_pb2

from jobscheduler.cli.jobs import add_jobs_parser
from jobscheduler.cli.serve import add_serve_parser
from jobscheduler.client import DEFAULT_TARGET, JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.egress import EgressPolicy
from jobscheduler.logs import configure_logging
from jobscheduler.runnerio import finish
from jobscheduler.timer.runner import EXIT_BAD_CONFIG
from jobscheduler.version import get_version_info


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobscheduler",
        description="Kubernetes-native job scheduling service with a gRPC API.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_parser(commands)

    version = commands.add_parser("version", help="print the version")
    version.set_defaults(handler=_version)
    version_full = commands.add_parser(
        "version-full", help="print version, git commit, build date and Python version"
    )
    version_full.set_defaults(handler=_version_full)

    health = commands.add_parser(
        "health", help="probe a running server (exit 0 when SERVING, 1 otherwise)"
    )
    health.add_argument("--server", default=DEFAULT_TARGET, help=f"default {DEFAULT_TARGET}")
    health.add_argument("--service", default="", help='service to ask about (default "": all)')
    health.add_argument("--timeout", type=float, default=5.0)
    health.set_defaults(handler=_health)

    timer = commands.add_parser(
        "timer",
        help="run a timer (the Timer job's container): TIMER_DURATION_SECONDS, TIMER_NAME, "
        "CONTROL_PLANE_ENDPOINT, TIMER_ID, LOG_LEVEL from the environment",
    )
    timer.add_argument("--max-attempts", type=int, default=8, help="report attempts (default 8)")
    timer.set_defaults(handler=_timer)

    probe = commands.add_parser(
        "probe",
        help="run one health check (the health-check job's container): PROBE_CONFIG, "
        "EGRESS_ALLOWED_HOSTS, EGRESS_ALLOWED_CIDRS from the environment",
    )
    probe.set_defaults(handler=_probe)
    webhook = commands.add_parser(
        "webhook",
        help="send one webhook (the webhook job's container): WEBHOOK_CONFIG, "
        "WEBHOOK_SECRET_HEADER_<n>, EGRESS_ALLOWED_HOSTS, EGRESS_ALLOWED_CIDRS from the "
        "environment",
    )
    webhook.set_defaults(handler=_webhook)

    add_jobs_parser(commands)

    completion = commands.add_parser(
        "completion",
        help='print a shell completion script: eval "$(jobscheduler completion bash)" (or zsh)',
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(handler=lambda args: _completion(parser, args))
    return parser


def _completion(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    # shtab writes the script from the parser itself, so every command and flag is completed
    # and a new one needs no second list; it runs no Python at completion time.
    import shtab  # noqa: PLC0415 - only this command needs it

    print(shtab.complete(parser, shell=args.shell))
    return 0


# What a shell reports for a command killed by SIGPIPE (128 + 13), e.g. ``yes | head``.
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except BrokenPipeError:
        # The reader went away (``jobscheduler jobs watch | head``): stop quietly like other
        # Unix tools. Python flushes stdout once more at exit and would complain about the same
        # broken pipe, so stdout is pointed at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    return code


def _version(args: argparse.Namespace) -> int:
    print(get_version_info().short())
    return 0


def _version_full(args: argparse.Namespace) -> int:
    print(get_version_info().full())
    return 0


def _health(args: argparse.Namespace) -> int:
    try:
        with JobSchedulerClient(args.server, timeout=args.timeout) as client:
            status = client.health(args.service)
    except JobSchedulerRpcError as error:
        print(f"{args.server}: {error.code.name}: {error.message}", file=sys.stderr)
        return 1
    name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
    print(f"{args.server}: {name}")
    return 0 if status == health_pb2.HealthCheckResponse.SERVING else 1


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)
    return stop


def _probe(args: argparse.Namespace) -> int:
    from jobscheduler.probe import runner as probe_runner  # noqa: PLC0415 - the pod's command

    try:
        config = probe_runner.config_from_env(os.environ)
        policy = EgressPolicy.from_env(os.environ)
    except ValueError as error:
        return _bad_runner_config("probe", str(error))
    return probe_runner.run_probe(config, policy, os.environ, _stop_on_signals())


def _webhook(args: argparse.Namespace) -> int:
    from jobscheduler.webhook import runner as webhook_runner  # noqa: PLC0415 - the pod's command

    try:
        config = webhook_runner.config_from_env(os.environ)
        policy = EgressPolicy.from_env(os.environ)
        webhook_runner.request_headers(config, os.environ)
    except ValueError as error:
        return _bad_runner_config("webhook", str(error))
    return webhook_runner.run_webhook(config, policy, os.environ, _stop_on_signals())


def _bad_runner_config(command: str, problem: str) -> int:
    print(f"jobscheduler {command}: {problem}", file=sys.stderr)
    finish({"error": problem, "reason": "BadConfig"}, f"BadConfig: {problem}", os.environ)
    return EXIT_BAD_CONFIG


def _timer(args: argparse.Namespace) -> int:
    from jobscheduler.timer.runner import (  # noqa: PLC0415 - the pod's command
        RetryPolicy,
        TimerConfig,
        TimerConfigError,
        run_timer,
    )

    try:
        config = TimerConfig.from_env(os.environ)
    except TimerConfigError as error:
        print(f"jobscheduler timer: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    try:
        configure_logging(config.log_level, os.environ.get("LOG_FORMAT", "auto").lower())
    except ValueError as error:
        print(f"jobscheduler timer: LOG_LEVEL: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    return run_timer(
        config, _stop_on_signals(), policy=RetryPolicy(max_attempts=max(1, args.max_attempts))
    )


if __name__ == "__main__":
    sys.exit(main())
