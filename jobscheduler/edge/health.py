"""grpc.health.v1 status that follows Kubernetes reachability and the server's lifecycle.

The service answers ``kubernetes_reachable()`` from a cache, so polling it here costs little;
probes then read a stored status and never trigger a Kubernetes call themselves (a burst of
probes must not hammer the API server). Both the overall status ("") and the JobScheduler
service are reported, since clients probe either.
"""

from __future__ import annotations

from collections.abc import Callable

from grpc_health.v1 import health, health_pb2

from jobscheduler.daemon import DaemonThread
from jobscheduler.edge.interceptors import SERVICE_NAME
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.edge.health")

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
REPORTED_SERVICES = (health.OVERALL_HEALTH, SERVICE_NAME)
STOP_WAIT_SECONDS = 5.0


class _DrainableHealthServicer(health.HealthServicer):  # type: ignore[misc]
    """The reference servicer, plus a way to end open ``Watch`` streams at shutdown.

    Without it, one client watching health holds the drain open for the whole grace period.
    It reaches into the reference implementation's registry of watchers (grpcio-health-checking
    is pinned below 2 in pyproject.toml), ending each stream with OK after its NOT_SERVING.
    """

    def close_watches(self) -> None:
        with self._lock:
            callbacks = [cb for group in self._send_response_callbacks.values() for cb in group]
        for send_response in callbacks:
            send_response(None)


class HealthReporter:
    """Owns the HealthServicer and the thread that keeps it in line with Kubernetes."""

    def __init__(self, kubernetes_reachable: Callable[[], bool], poll_seconds: float) -> None:
        self.servicer = _DrainableHealthServicer(experimental_non_blocking=True)
        self._kubernetes_reachable = kubernetes_reachable
        self._poll_seconds = poll_seconds
        # Bounded: a poll is one short Kubernetes call, and the thread is a daemon.
        self._daemon = DaemonThread("health-poller", self._run, stop_wait_seconds=STOP_WAIT_SECONDS)
        self._reachable = False
        self._shutting_down = False
        self._publish(NOT_SERVING)

    @property
    def reachable(self) -> bool:
        return self._reachable

    @property
    def serving(self) -> bool:
        return self._reachable and not self._shutting_down

    def start(self) -> None:
        self.poll_once()
        self._daemon.start()

    def poll_once(self) -> None:
        try:
            reachable = bool(self._kubernetes_reachable())
        except Exception:
            log.exception("kubernetes reachability check failed")
            reachable = False
        if reachable != self._reachable:
            if reachable:
                log.info("kubernetes reachable: serving")
            else:
                log.warning("kubernetes unreachable: health is NOT_SERVING")
        self._reachable = reachable
        self._publish(SERVING if reachable else NOT_SERVING)

    def enter_shutdown(self) -> None:
        """NOT_SERVING from now on, whatever Kubernetes does."""
        self._shutting_down = True
        self.servicer.enter_graceful_shutdown()
        self.servicer.close_watches()
        self._daemon.stopping.set()

    def stop(self) -> None:
        self._daemon.stop()

    def _run(self) -> None:
        while not self._daemon.stopping.wait(self._poll_seconds):
            self.poll_once()

    def _publish(self, status: int) -> None:
        for service in REPORTED_SERVICES:
            self.servicer.set(service, status)
