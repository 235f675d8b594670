"""The gRPC server and its lifecycle: JobScheduler + health + reflection + operations HTTP.

Shutdown order (SIGTERM/SIGINT in ``cli serve``, or ``Server.stop``): health NOT_SERVING and
``/readyz`` 503 → refuse new and queued RPCs with UNAVAILABLE (``edge.draining``) → let admitted
RPCs finish within the grace period (streams see ``is_active()`` turn false and end) → once calls
have stopped arriving, stop gRPC → stop the service → done.

Transport limits and keepalive are set here on purpose rather than left to gRPC's defaults
(see ``server_options``; README "Deploying", "Connections" documents them).
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.edge.auth.guard import AccessGuard
from jobscheduler.edge.auth.reviews import Reviewer
from jobscheduler.edge.auth.setup import Access, build_access
from jobscheduler.edge.contract import JobServiceContract
from jobscheduler.edge.draining import DrainGate
from jobscheduler.edge.health import HealthReporter
from jobscheduler.edge.interceptors import SERVICE_NAME, RpcInterceptor
from jobscheduler.edge.ops_http import OpsHttpServer
from jobscheduler.edge.servicer import JobSchedulerServicer, add_to_server
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.edge.server")

# Every open WatchJob/WatchJobs/GetJobLogs stream holds one worker thread for its lifetime, so
# the pool is sized for many concurrent streams plus the unary traffic beside them.
DEFAULT_MAX_WORKERS = 64
DEFAULT_HEALTH_POLL_SECONDS = 2.0

# Largest request accepted; a larger one is refused with RESOURCE_EXHAUSTED before any handler
# runs. 4 MiB is gRPC's default, stated here so that it is a decision: no request we accept
# comes near it (a Job manifest must fit in etcd's 1.5 MiB anyway).
MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024
# Clients may ping this often when no data flows (gRPC's default floor is 5 minutes, and two
# pings faster than the floor end the connection with GOAWAY "too_many_pings"). Load balancers
# and clients commonly keep idle connections alive with a ping every 10-30 s.
MIN_CLIENT_PING_INTERVAL_MS = 5_000
# The server pings an idle client every minute and drops it after 20 s without an answer, so
# connections to vanished clients (a node gone, a NAT entry expired) do not pile up.
KEEPALIVE_TIME_MS = 60_000
KEEPALIVE_TIMEOUT_MS = 20_000


def server_options() -> list[tuple[str, int]]:
    """The gRPC server's channel arguments."""
    return [
        # Two servers must never share a port by accident (tests, a second replica).
        ("grpc.so_reuseport", 0),
        ("grpc.max_receive_message_length", MAX_RECEIVE_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        # Accept client pings on a connection with no call open (idle channels kept warm)...
        ("grpc.keepalive_permit_without_calls", 1),
        # ...as often as every MIN_CLIENT_PING_INTERVAL_MS ...
        ("grpc.http2.min_ping_interval_without_data_ms", MIN_CLIENT_PING_INTERVAL_MS),
        # ...and answer a faster pinger with GOAWAY only after two strikes (gRPC's default).
        ("grpc.http2.max_ping_strikes", 2),
        # Our own keepalive pings need no data in between (0: unlimited).
        ("grpc.http2.max_pings_without_data", 0),
    ]


class Server:
    """A JobScheduler gRPC server; ``port`` is the bound port (ask for 0 to get a free one).

    ``metrics_port`` None runs no operations HTTP endpoint; 0 picks a free port.
    """

    def __init__(
        self,
        service: JobServiceContract,
        *,
        host: str = "[::]",
        port: int = 50054,
        metrics_host: str | None = None,
        metrics_port: int | None = 8080,
        shutdown_grace_seconds: float = 20.0,
        health_poll_seconds: float = DEFAULT_HEALTH_POLL_SECONDS,
        max_workers: int = DEFAULT_MAX_WORKERS,
        access: Access | None = None,
    ) -> None:
        self._service = service
        self._host = host
        self._requested_port = port
        self._metrics_host = metrics_host if metrics_host is not None else host
        self._requested_metrics_port = metrics_port
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self._max_workers = max_workers
        self._access = access  # None: no access control (tests of the edge alone)
        self._draining = threading.Event()
        self._stopped = threading.Event()
        self._accepting = threading.Event()
        self._stop_lock = threading.Lock()
        self._gate = DrainGate(f"/{SERVICE_NAME}/")
        self.health = HealthReporter(service.kubernetes_reachable, health_poll_seconds)
        self._grpc: Any = None
        self._ops: OpsHttpServer | None = None
        self.port = 0
        self.metrics_port = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, service: JobServiceContract, reviewer: Reviewer | None = None
    ) -> Server:
        """``reviewer`` (a KubeGateway) answers TokenReviews and SubjectAccessReviews."""
        return cls(
            service,
            host=settings.grpc_host,
            port=settings.grpc_port,
            # METRICS_PORT=0 disables the endpoint.
            metrics_port=settings.metrics_port or None,
            shutdown_grace_seconds=settings.shutdown_grace_seconds,
            access=build_access(settings, reviewer),
        )

    @property
    def guard(self) -> AccessGuard | None:
        """The access guard of the gRPC port, for other ports that serve the same callers."""
        return self._access.guard if self._access else None

    @property
    def ready(self) -> bool:
        """Serving RPCs, not draining, and Kubernetes reachable (what ``/readyz`` reports)."""
        return self._grpc is not None and not self._draining.is_set() and self.health.serving

    @property
    def accepting(self) -> bool:
        """Taking new RPCs: from ``start`` until ``stop`` begins to drain."""
        return self._accepting.is_set()

    def start(self) -> None:
        self._service.start()
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="rpc"),
            # The drain gate sits inside the RPC interceptor, so refusals are logged and counted.
            interceptors=[
                *(self._access.interceptors if self._access else ()),
                RpcInterceptor(guard=self._access.guard if self._access else None),
                self._gate,
            ],
            # Beyond the pool, refuse at once (RESOURCE_EXHAUSTED) rather than queue: a queued
            # unary call would wait behind long-lived streams with no sign of why.
            maximum_concurrent_rpcs=self._max_workers,
            options=server_options(),
        )
        add_to_server(JobSchedulerServicer(self._service, self._draining), server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, server)
        reflection.enable_server_reflection(
            (
                pb.DESCRIPTOR.services_by_name["JobScheduler"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            server,
        )
        address = f"{self._host}:{self._requested_port}"
        try:
            if self._access is not None and self._access.credentials is not None:
                credentials = self._access.credentials.server_credentials()
                self.port = server.add_secure_port(address, credentials)
            else:
                self.port = server.add_insecure_port(address)
        except RuntimeError as exc:
            self._service.stop()
            raise OSError(f"cannot listen for gRPC on {address}: {exc}") from exc
        if self._requested_metrics_port is not None:
            self._ops = OpsHttpServer(
                self._metrics_host,
                self._requested_metrics_port,
                lambda: self.ready,
                warning=self._access.warning if self._access else "",
            )
            self.metrics_port = self._ops.port
        server.start()
        self._grpc = server
        self._accepting.set()
        self.health.start()
        if self._ops is not None:
            self._ops.start()
        log.info(
            "serving",
            service=SERVICE_NAME,
            address=f"{self._host}:{self.port}",
            metrics_port=self.metrics_port or None,
            health_services=[health.OVERALL_HEALTH, SERVICE_NAME],
        )

    def stop(self, grace: float | None = None) -> None:
        """Drain and stop; safe to call more than once and from any thread."""
        with self._stop_lock:
            if self._stopped.is_set():
                return
            grace = self.shutdown_grace_seconds if grace is None else grace
            log.info("shutting down", grace_seconds=grace)
            started = time.monotonic()
            self.health.enter_shutdown()
            self._draining.set()
            self._gate.begin_draining()
            self._accepting.clear()
            if self._grpc is not None:
                if not self._gate.wait_until_drained(grace) and self._gate.in_flight:
                    log.warning("grace period over: cancelling", in_flight=self._gate.in_flight)
                # Nothing admitted is left (or the grace is over): gRPC's own shutdown now has
                # nothing queued to cancel; a call slipping in meanwhile is refused by the gate.
                remaining = max(0.0, grace - (time.monotonic() - started))
                self._grpc.stop(max(remaining, 1.0) if grace > 0 else 0).wait()
            self.health.stop()
            self._service.stop()
            if self._ops is not None:
                self._ops.stop()
            self._stopped.set()
            log.info("stopped")

    def wait_until_stopped(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)
