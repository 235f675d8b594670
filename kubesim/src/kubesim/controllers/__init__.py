"""Controllers and a simulated kubelet for the embedded cluster.

They act only through ``ClusterAPI``, so the same code drives the in-process API server and, via
``RestClusterAPI``, a real control plane that has no nodes.
"""

from __future__ import annotations

from typing import Protocol

from kubesim.clock import Clock
from kubesim.clusterapi import JSON, ClusterAPI, PodLogSource
from kubesim.controllers.cronjob import CronJobController
from kubesim.controllers.garbagecollector import GarbageCollector, collectable
from kubesim.controllers.informer import Informer
from kubesim.controllers.job import JobController
from kubesim.controllers.job_logic import BackoffPolicy
from kubesim.controllers.kubelet import SimulatedKubelet
from kubesim.controllers.kubelet_server import KubeletServer, KubeletServing
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.namespace import NamespaceController
from kubesim.controllers.node import NodeEndpoint
from kubesim.controllers.ttl import TtlController

__all__ = ["CONTROLLERS", "BackoffPolicy", "ControllerManager", "KubeletServing"]

# What ``EmbeddedCluster(controllers=...)`` and ``python -m kubesim.controllers`` select from.
CONTROLLERS = ("job", "cronjob", "ttl", "garbage-collector", "namespace", "kubelet")

# Real seconds stop() waits for each thread.
_JOIN_TIMEOUT_SECONDS = 5.0


class _Component(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout: float) -> None: ...


class ControllerManager:
    """Runs the Job, CronJob, TTL, garbage-collector and namespace controllers and the
    simulated kubelet on watch threads.

    One informer (list + watch) per resource feeds every controller that needs it; each
    controller drains its own work queue on one worker thread, so an idle cluster uses no CPU.
    """

    def __init__(
        self,
        api: ClusterAPI,
        clock: Clock,
        *,
        job: bool = True,
        cronjob: bool = True,
        ttl: bool = True,
        kubelet: bool = True,
        garbage_collector: bool = True,
        namespace: bool = True,
        backoff: BackoffPolicy | None = None,
        kubelet_serving: KubeletServing | None = None,
    ) -> None:
        """``kubelet_serving``: also serve the kubelet's HTTPS API (pod logs for a real
        control plane to proxy to) and advertise it on the node."""
        self._api = api
        self._clock = clock
        self._log_store = PodLogStore(clock, pod_lookup=self._get_pod)
        self.pod_logs: PodLogSource = self._log_store
        self._informers: dict[str, Informer] = {}
        self._components: list[_Component] = []
        jobs = self._informer("jobs") if job or ttl or cronjob else None
        pods = self._informer("pods") if job or kubelet else None
        if job and jobs is not None and pods is not None:
            self._components.append(JobController(api, clock, jobs, pods, backoff))
        if ttl and jobs is not None:
            self._components.append(TtlController(api, clock, jobs))
        if cronjob and jobs is not None:
            self._components.append(CronJobController(api, clock, self._informer("cronjobs"), jobs))
        self.kubelet_endpoint: NodeEndpoint | None = None
        if kubelet and pods is not None:
            if kubelet_serving is not None:
                server = KubeletServer(self._log_store, kubelet_serving)
                self.kubelet_endpoint = server.endpoint
                self._components.append(server)
            self._components.append(
                SimulatedKubelet(api, clock, pods, self._log_store, self.kubelet_endpoint)
            )
        if garbage_collector or namespace:
            self._add_collectors(garbage_collector, namespace)
        self._started = False

    def start(self) -> None:
        """Start the enabled controllers' watch and worker threads."""
        if self._started:
            return
        self._started = True
        for component in self._components:
            component.start()
        for informer in self._informers.values():
            informer.start()

    def stop(self) -> None:
        """Stop every thread and wait for it to end."""
        if not self._started:
            return
        self._started = False
        for informer in self._informers.values():
            informer.stop()
        for component in self._components:
            component.stop()
        self._log_store.close()
        for informer in self._informers.values():
            informer.join(_JOIN_TIMEOUT_SECONDS)
        for component in self._components:
            component.join(_JOIN_TIMEOUT_SECONDS)

    def wait_synced(self, timeout: float = 10.0) -> bool:
        """True once every informer has listed its resource (useful before acting in tests)."""
        return all(informer.wait_synced(timeout) for informer in self._informers.values())

    def _informer(self, resource: str) -> Informer:
        """The one informer of ``resource``, shared by every controller that watches it."""
        if resource not in self._informers:
            self._informers[resource] = Informer(self._api, resource)
        return self._informers[resource]

    def _add_collectors(self, garbage_collector: bool, namespace: bool) -> None:
        """Both watch every kind discovery lists as deletable, so kinds need no registration."""
        resources = collectable(self._api.server_resources())
        informers = {entry["name"]: self._informer(entry["name"]) for entry in resources}
        if garbage_collector:
            self._components.append(GarbageCollector(self._api, self._clock, informers, resources))
        if namespace:
            contents = {
                name: informer
                for name, informer in informers.items()
                if any(entry["name"] == name and entry["namespaced"] for entry in resources)
            }
            self._components.append(
                NamespaceController(
                    self._api, self._clock, self._informer("namespaces"), contents, resources
                )
            )

    def _get_pod(self, namespace: str, name: str) -> JSON:
        return self._api.get("pods", namespace, name)
