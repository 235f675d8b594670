"""Controllers and a simulated kubelet for the embedded cluster.

They act only through ``ClusterAPI``, so the same code drives the in-process API server and, via
``RestClusterAPI``, a real control plane that has no nodes.
"""

from __future__ import annotations

from jobscheduler.clock import Clock
from jobscheduler.embedded.api import ClusterAPI, PodLogSource
from jobscheduler.embedded.controllers.logs import PodLogStore


class ControllerManager:
    """Runs the Job, CronJob and TTL controllers and the simulated kubelet on watch threads."""

    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        *,
        job: bool = True,
        cronjob: bool = True,
        ttl: bool = True,
        kubelet: bool = True,
    ) -> None:
        self._api = api
        self._clock = clock
        self._enabled = {"job": job, "cronjob": cronjob, "ttl": ttl, "kubelet": kubelet}
        self._log_store = PodLogStore(clock)
        self.pod_logs: PodLogSource = self._log_store

    def start(self) -> None:
        """Start the enabled controllers' watch and worker threads."""

    def stop(self) -> None:
        """Stop every thread and wait for it to end."""
