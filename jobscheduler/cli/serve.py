"""``jobscheduler serve`` and ``jobscheduler cluster``.

``serve`` reads Settings from the environment with flags taking precedence, optionally starts
the simulated cluster (the separate ``kubesim`` distribution, imported only for that flag) in
this process and points the service at it, then runs the gRPC server until SIGTERM/SIGINT, when
it drains (see ``edge.server``) and exits 0.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from jobscheduler.clock import Clock, SystemClock
from jobscheduler.config import (
    AuthMode,
    ConfigError,
    LogFormat,
    LogLevel,
    Settings,
    load_settings,
)
from jobscheduler.jobtypes.metadata import SIMULATION_PREFIX
from jobscheduler.logs import configure_logging, get_logger

if TYPE_CHECKING:
    from jobscheduler.dashboard import DashboardServer

EXIT_OK = 0
EXIT_CONFIG = 2
# Beyond the grace, and still inside the pod's terminationGracePeriodSeconds: k8s/base leaves
# 10 s after the preStop sleep and the grace.
SHUTDOWN_OVERRUN_SECONDS = 5.0

# One kubeconfig per gRPC port: a second dev server never overwrites the first one's.
EMBEDDED_KUBECONFIG_PATTERN = str(
    Path(tempfile.gettempdir()) / "jobscheduler-embedded-{port}.kubeconfig"
)
# A dev server (--embedded-cluster) listens on loopback unless --host or GRPC_HOST says otherwise.
EMBEDDED_DEFAULT_HOST = "127.0.0.1"

log = get_logger("jobscheduler.cli")


def add_serve_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the gRPC server",
        description="Run the JobScheduler gRPC server. Flags override environment variables.",
    )
    serve.add_argument(
        "--host",
        help="listen address (env GRPC_HOST; default [::], with --embedded-cluster 127.0.0.1)",
    )
    serve.add_argument("--port", type=int, help="gRPC port (env GRPC_PORT, default 50054)")
    serve.add_argument(
        "--metrics-port", type=int, help="metrics/health HTTP port, 0 = off (env METRICS_PORT)"
    )
    serve.add_argument(
        "--dashboard-port", type=int, help="web dashboard HTTP port, 0 = off (env DASHBOARD_PORT)"
    )
    serve.add_argument("--namespace", help="default namespace for jobs (env K8S_NAMESPACE)")
    serve.add_argument("--kubeconfig", help="kubeconfig file; implies IN_CLUSTER=false")
    serve.add_argument("--log-level", choices=[level.value for level in LogLevel])
    serve.add_argument("--log-format", choices=[fmt.value for fmt in LogFormat])
    serve.add_argument(
        "--shutdown-grace",
        type=float,
        help="seconds to drain on SIGTERM (env SHUTDOWN_GRACE_SECONDS)",
    )
    serve.add_argument(
        "--auth-mode",
        choices=[mode.value for mode in AuthMode],
        help="kubernetes: callers send a bearer token (TokenReview) and RBAC decides "
        "(SubjectAccessReview); none: no authentication, loopback only "
        "(env AUTH_MODE, default kubernetes; with --embedded-cluster: none)",
    )
    serve.add_argument(
        "--insecure-allow-unauthenticated",
        action="store_true",
        default=None,
        help="allow --auth-mode none on a non-loopback address (logged as a warning)",
    )
    serve.add_argument("--tls-cert", metavar="FILE", help="server certificate (env TLS_CERT_FILE)")
    serve.add_argument("--tls-key", metavar="FILE", help="server key (env TLS_KEY_FILE)")
    serve.add_argument(
        "--tls-client-ca",
        metavar="FILE",
        help="require client certificates signed by this CA (env TLS_CLIENT_CA_FILE)",
    )
    serve.add_argument(
        "--embedded-cluster",
        action="store_true",
        help="start an in-process Kubernetes API (no cluster needed) and use it",
    )
    serve.add_argument(
        "--embedded-kubeconfig",
        type=Path,
        metavar="FILE",
        help="where to write the embedded cluster's kubeconfig once the server listens "
        f"(default {EMBEDDED_KUBECONFIG_PATTERN.format(port='PORT')}, PORT the gRPC port)",
    )
    serve.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="embedded cluster: run time this many times faster (e.g. 60: a 5 min timer in 5 s)",
    )
    serve.set_defaults(handler=run_serve)

    cluster = subparsers.add_parser(
        "cluster",
        help="run the simulated Kubernetes API (kubesim) on its own, for kubectl and the client",
    )
    cluster.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    cluster.add_argument("--kubeconfig", type=Path, help="where to write its kubeconfig")
    cluster.add_argument("--clock-speed", type=float, default=1.0)
    cluster.set_defaults(handler=run_cluster)


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {
        "grpc_host": args.host,
        "grpc_port": args.port,
        "metrics_port": args.metrics_port,
        "dashboard_port": args.dashboard_port,
        "k8s_namespace": args.namespace,
        "kubeconfig": args.kubeconfig,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "shutdown_grace_seconds": args.shutdown_grace,
        "auth_mode": args.auth_mode,
        "insecure_allow_unauthenticated": args.insecure_allow_unauthenticated,
        "tls_cert_file": args.tls_cert,
        "tls_key_file": args.tls_key,
        "tls_client_ca_file": args.tls_client_ca,
    }
    if args.kubeconfig or args.embedded_cluster:
        overrides["in_cluster"] = False
    if args.embedded_cluster:
        # A developer's sandbox: loopback and no authentication, unless told otherwise.
        if args.host is None and "GRPC_HOST" not in os.environ:
            overrides["grpc_host"] = EMBEDDED_DEFAULT_HOST
        if args.auth_mode is None and "AUTH_MODE" not in os.environ:
            overrides["auth_mode"] = AuthMode.NONE.value
    return load_settings(**overrides)


def run_serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
    except ConfigError as error:
        print(f"jobscheduler: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.clock_speed <= 0:
        print("jobscheduler: --clock-speed must be positive", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level.value, settings.log_format.value)
    # The server's modules load only here: every other command (jobs, version, ...) starts
    # without them.
    from jobscheduler import tracing  # noqa: PLC0415

    try:
        tracing.configure_from_env()
    except tracing.TracingUnavailable as error:
        print(f"jobscheduler: {error}", file=sys.stderr)
        return EXIT_CONFIG

    stop_requested = threading.Event()
    _install_signal_handlers(stop_requested)

    # Refuse a taken port before anything else: before the embedded cluster writes a
    # kubeconfig, and before gRPC core prints its own error lines for the failed bind.
    for what, port in (("gRPC", settings.grpc_port), ("the dashboard", settings.dashboard_port)):
        if problem := port_taken(settings.grpc_host, port):
            print(f"jobscheduler: cannot listen for {what} on {problem}", file=sys.stderr)
            return EXIT_CONFIG
    cluster: Any = None
    clock: Clock = SystemClock()
    on_listening: Callable[[int], None] | None = None
    if args.embedded_cluster:
        kubesim = _import_kubesim("--embedded-cluster")
        if kubesim is None:
            return EXIT_CONFIG
        cluster, clock = _start_embedded_cluster(kubesim, args)
        update: dict[str, object] = {
            "kubeconfig": str(cluster.kubeconfig_path),
            "in_cluster": False,
        }
        if "pod_annotation_allowed_prefixes" not in settings.model_fields_set:
            # The simulated pods are steered by these annotations: let them reach the pods,
            # unless the operator chose the prefixes.
            update["pod_annotation_allowed_prefixes"] = (SIMULATION_PREFIX,)
        settings = settings.model_copy(update=update)

        def publish(port: int) -> None:
            _publish_kubeconfig(cluster, args, port)

        on_listening = publish

    try:
        return _serve(settings, clock, stop_requested, on_listening)
    finally:
        if cluster is not None:
            cluster.stop()


def port_taken(host: str, port: int) -> str | None:
    """``host:port (reason)`` when that address cannot be bound now (port 0 never is)."""
    if not port:
        return None
    bind_host = host.strip("[]")
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            probe.bind((bind_host, port))
    except OSError as error:
        return f"{host}:{port} ({error.strerror or error})"
    return None


def _serve(
    settings: Settings,
    clock: Clock,
    stop_requested: threading.Event,
    on_listening: Callable[[int], None] | None,
) -> int:
    # Imported here: the service pulls in the Kubernetes client, which `version` never needs.
    from jobscheduler.dashboard import DashboardServer  # noqa: PLC0415
    from jobscheduler.edge.server import Server  # noqa: PLC0415
    from jobscheduler.kube import KubeGateway  # noqa: PLC0415
    from jobscheduler.service import build_service  # noqa: PLC0415

    try:
        service = build_service(settings, clock=clock)
        # Its own client: reviews never queue behind the service's long-lived watches.
        reviewer = KubeGateway.from_settings(settings)
    except Exception as error:
        print(
            f"jobscheduler: cannot configure the Kubernetes client: {error}\n"
            "  Outside a cluster set IN_CLUSTER=false and KUBECONFIG (or --kubeconfig),"
            " or use --embedded-cluster.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        server = Server.from_settings(settings, service, reviewer)
    except ConfigError as error:
        print(f"jobscheduler: {error}", file=sys.stderr)
        return EXIT_CONFIG
    dashboard: DashboardServer | None = None
    try:
        server.start()
        if settings.dashboard_port:
            # Behind the gRPC port's own guard: the same callers, checked the same way.
            dashboard = DashboardServer(
                service,
                settings.grpc_host,
                settings.dashboard_port,
                clock=clock.now,
                gate=server.guard,
            )
            dashboard.start()
    except OSError as error:
        print(f"jobscheduler: {error}", file=sys.stderr)
        server.stop(grace=0)
        return EXIT_CONFIG
    if on_listening is not None:
        on_listening(server.port)
    # The addresses as bound: the metrics endpoint listens on the gRPC host.
    print(
        f"jobscheduler serving gRPC on {settings.grpc_host}:{server.port}"
        + f" (auth {settings.auth_mode.value}{', TLS' if settings.tls_cert_file else ''})"
        + (
            f", metrics on {settings.grpc_host}:{server.metrics_port}"
            if server.metrics_port
            else ""
        )
        + (f", dashboard on {settings.grpc_host}:{dashboard.port}" if dashboard else ""),
        file=sys.stderr,
        flush=True,
    )
    # A bounded wait keeps the main thread responsive to signals on every platform.
    while not stop_requested.wait(1.0):
        pass
    log.info("signal received: draining", grace_seconds=settings.shutdown_grace_seconds)
    arm_shutdown_watchdog(settings.shutdown_grace_seconds)
    if dashboard is not None:
        dashboard.stop()  # its streams end first: the service they read is about to stop
    server.stop()
    return EXIT_OK


def arm_shutdown_watchdog(grace_seconds: float) -> None:
    """Should the drain overrun its grace by ``SHUTDOWN_OVERRUN_SECONDS``, print every
    thread's stack to stderr and exit 1: a hung shutdown then says where it hung, and ends
    before the kubelet's SIGKILL (terminationGracePeriodSeconds) would end it silently. It
    stays armed through interpreter exit (threads joined there can hang too): after a drain
    ``serve`` is the process's last act."""
    faulthandler.dump_traceback_later(grace_seconds + SHUTDOWN_OVERRUN_SECONDS, exit=True)


KUBESIM_INSTALL_HINT = (
    "install the simulated cluster beside the service: pip install -e ./kubesim "
    "(from a checkout of this repository), or the development install: "
    "pip install -e '.[dev]' -e ./kubesim"
)


def _import_kubesim(what: str) -> Any:
    """The kubesim package, or None after telling the user how to install it.

    Lazy, and the only place the service reaches the simulator: production images do not
    contain it, and nothing else needs it.
    """
    try:
        import kubesim  # noqa: PLC0415
    except ImportError:
        print(
            f"jobscheduler: {what} needs the kubesim package; {KUBESIM_INSTALL_HINT}",
            file=sys.stderr,
        )
        return None
    return kubesim


def _start_embedded_cluster(kubesim: Any, args: argparse.Namespace) -> tuple[Any, Clock]:
    """The cluster writes its kubeconfig to a private temporary file; the service reads it
    from there, and ``_publish_kubeconfig`` puts it where users look once the server listens."""
    clock: Clock = kubesim.ScaledClock(args.clock_speed)
    cluster = kubesim.EmbeddedCluster(clock=clock)
    cluster.start()
    return cluster, clock


def _publish_kubeconfig(cluster: Any, args: argparse.Namespace, port: int) -> None:
    path: Path = args.embedded_kubeconfig or Path(EMBEDDED_KUBECONFIG_PATTERN.format(port=port))
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    shutil.copyfile(cluster.kubeconfig_path, staged)
    staged.chmod(0o600)
    os.replace(staged, path)  # atomic: kubectl never reads half a file
    print(
        f"embedded cluster: Kubernetes API at {cluster.url} (clock x{args.clock_speed:g})\n"
        f"  kubeconfig: {path}\n"
        f"  try: kubectl --kubeconfig {path} get jobs",
        file=sys.stderr,
        flush=True,
    )


def _install_signal_handlers(stop_requested: threading.Event) -> None:
    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)


def run_cluster(args: argparse.Namespace) -> int:
    """``jobscheduler cluster``: the same as the ``kubesim`` command."""
    kubesim = _import_kubesim("the cluster command")
    if kubesim is None:
        return EXIT_CONFIG
    configure_logging("info", "auto")
    kubesim.run_standalone(
        port=args.port, kubeconfig_path=args.kubeconfig, clock_speed=args.clock_speed
    )
    return EXIT_OK
