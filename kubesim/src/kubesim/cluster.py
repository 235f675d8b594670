"""``EmbeddedCluster``: the API server on loopback plus the controllers, as one object.

with EmbeddedCluster() as cluster:
    client = cluster.api_client()          # kubernetes.client.ApiClient, as the admin
    subprocess.run(["kubectl", "--kubeconfig", cluster.kubeconfig_path, "get", "jobs"])
"""

from __future__ import annotations

import signal
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import kubernetes.client

from kubesim.apiserver.inprocess import InProcessAPI
from kubesim.apiserver.schema import SchemaChecker
from kubesim.apiserver.server import ApiServer
from kubesim.auth.gate import Gate
from kubesim.auth.identity import parse_token_file
from kubesim.auth.tls import ServingCertificate
from kubesim.clock import Clock, ScaledClock
from kubesim.clusterapi import ClusterAPI, PodLogSource
from kubesim.controllers import CONTROLLERS, ControllerManager
from kubesim.http.faults import FaultInjector
from kubesim.http.server import EmbeddedHTTPServer
from kubesim.kubeconfig import write_kubeconfig
from kubesim.store import Store

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class EmbeddedCluster:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        kubeconfig_path: str | Path | None = None,
        clock: Clock | None = None,
        clock_speed: float = 1.0,
        controllers: bool | Iterable[str] = True,
        schema_validation: str = "all",
        token_file: str | Path | None = None,
    ) -> None:
        """``controllers``: True runs them all, False none (the API server alone: nothing
        changes unless a client changes it), or the names to run, from ``CONTROLLERS``
        (e.g. ``("garbage-collector",)`` to have owners' deletions reach their dependents).
        ``token_file``: more users, in kube-apiserver's ``--token-auth-file`` format
        (``token,user,uid,"group1,group2"``), beside the admin whose token the kubeconfig and
        ``api_client()`` carry."""
        self.clock: Clock = clock or ScaledClock(clock_speed)
        self._host, self._port = host, port
        self._given_kubeconfig = Path(kubeconfig_path) if kubeconfig_path else None
        self._temporary_dir: tempfile.TemporaryDirectory[str] | None = None
        self.store = Store()
        self.server = ApiServer(self.store, self.clock, SchemaChecker(schema_validation))
        self.api: ClusterAPI = InProcessAPI(self.server)
        self.faults = FaultInjector(expire=self.store.compact)
        self._want_controllers = _selected(controllers)
        self.controllers: Any = None
        self._http: EmbeddedHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self.url = ""
        # Where tests put their objects (a real cluster gives each test a fresh namespace).
        self.namespace = "default"
        self.kubeconfig_path = self._given_kubeconfig or Path()
        for name in INITIAL_NAMESPACES:
            self.server.create("namespaces", None, {"metadata": {"name": name}})
        static_users = parse_token_file(Path(token_file).read_text()) if token_file else {}
        self.gate = Gate(self.server, static_users)
        # Bearer token of a system:masters user (as a kube-apiserver token file's admin entry).
        self.admin_token = self.gate.admin_token
        self._tls = ServingCertificate(host)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._http is not None:
            return
        logs: PodLogSource | None = None
        if self._want_controllers:
            wanted = self._want_controllers
            self.controllers = ControllerManager(
                self.api,
                self.clock,
                job="job" in wanted,
                cronjob="cronjob" in wanted,
                ttl="ttl" in wanted,
                garbage_collector="garbage-collector" in wanted,
                namespace="namespace" in wanted,
                kubelet="kubelet" in wanted,
            )
            logs = self.controllers.pod_logs
        self._http = EmbeddedHTTPServer(
            (self._host, self._port),
            self.server,
            self.faults,
            gate=self.gate,
            logs=logs,
            tls=self._tls,
        )
        self.url = f"http://{self._host}:{self._http.server_address[1]}"
        self._serve_thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="embedded-apiserver",
            daemon=True,
        )
        self._serve_thread.start()
        if self._given_kubeconfig is None:
            self._temporary_dir = tempfile.TemporaryDirectory(prefix="jobscheduler-embedded-")
            self.kubeconfig_path = Path(self._temporary_dir.name) / "kubeconfig"
        write_kubeconfig(
            self.kubeconfig_path,
            self.url.replace("http://", "https://", 1),
            self.admin_token,
            self._tls.authority_data,
        )
        if self.controllers is not None:
            self.controllers.start()

    def stop(self) -> None:
        if self._http is None:
            return
        if self.controllers is not None:
            self.controllers.stop()
            self.controllers = None
        self.faults.released.set()
        self._http.shutdown()
        self._http.close_connections()
        self._http.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=10)
        self._http = None
        if self._temporary_dir is not None:
            self._temporary_dir.cleanup()
            self._temporary_dir = None

    def __enter__(self) -> EmbeddedCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- clients ---------------------------------------------------------------------------
    def api_client(self) -> kubernetes.client.ApiClient:
        """A ``kubernetes`` client configured for this cluster (the caller closes it)."""
        configuration = kubernetes.client.Configuration()
        configuration.host = self.url
        configuration.api_key = {"authorization": self.admin_token}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        return kubernetes.client.ApiClient(configuration)


def _selected(controllers: bool | Iterable[str]) -> frozenset[str]:
    if controllers is True:
        return frozenset(CONTROLLERS)
    if controllers is False:
        return frozenset()
    names = frozenset(controllers)
    unknown = names - set(CONTROLLERS)
    if unknown:
        raise ValueError(
            f"unknown controllers {sorted(unknown)}; choose from {', '.join(CONTROLLERS)}"
        )
    return names


def run_standalone(*, port: int, kubeconfig_path: Path | None, clock_speed: float = 1.0) -> None:
    """Serve until SIGINT/SIGTERM, printing where to connect."""
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with EmbeddedCluster(
            port=port, kubeconfig_path=kubeconfig_path, clock_speed=clock_speed
        ) as cluster:
            print(f"Embedded Kubernetes API at {cluster.url}", flush=True)
            print(f"kubeconfig: {cluster.kubeconfig_path}", flush=True)
            print(
                f"try: kubectl --kubeconfig {cluster.kubeconfig_path} get jobs  (Ctrl-C stops)",
                flush=True,
            )
            while not done.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
