"""The gRPC server and its lifecycle: JobScheduler + health + reflection + operations HTTP.

Shutdown order (SIGTERM/SIGINT in ``cli serve``, or ``Server.stop``): health NOT_SERVING and
``/readyz`` 503 → stop accepting RPCs → let in-flight RPCs finish within the grace period
(streams see ``is_active()`` turn false and end) → stop the service → done.
"""

from __future__ import annotations

import threading
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
            interceptors=[
                *(self._access.interceptors if self._access else ()),
                RpcInterceptor(guard=self._access.guard if self._access else None),
            ],
            # Beyond the pool, refuse at once (RESOURCE_EXHAUSTED) rather than queue: a queued
            # unary call would wait behind long-lived streams with no sign of why.
            maximum_concurrent_rpcs=self._max_workers,
            # Two servers must never share a port by accident (tests, a second replica).
            options=[("grpc.so_reuseport", 0)],
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
            self.health.enter_shutdown()
            self._draining.set()
            if self._grpc is not None:
                # Stops accepting at once; in-flight RPCs get ``grace`` seconds to finish.
                drained = self._grpc.stop(grace)
                self._accepting.clear()
                drained.wait()
            self.health.stop()
            self._service.stop()
            if self._ops is not None:
                self._ops.stop()
            self._stopped.set()
            log.info("stopped")

    def wait_until_stopped(self, timeout: float | None = None) -> bool:
        return self._stopped.wait(timeout)
