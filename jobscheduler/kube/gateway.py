"""KubeGateway: the only code that calls the Kubernetes API.

Everything it sends and receives is plain JSON (dicts), not client model objects: the service
reads a handful of fields, and skipping model deserialization makes each call several times
cheaper. How each call is bounded, retried, counted and translated is ``kube.calls``.

Kubernetes access it needs (the RBAC Role is derived from this list; keep it exact):

================  ============  ===========================================================
API group         resource      verbs
================  ============  ===========================================================
batch             jobs          create, get, list, watch, patch, delete
batch             cronjobs      create, get, list, patch, delete
"" (core)         pods          list
"" (core)         pods/log      get
non-resource      /version      get (reachability probe; granted to everyone by default)
================  ============  ===========================================================

Only the background sweep (delayed starts, expired cancellations) lists jobs across all
namespaces; without a ClusterRole granting that it falls back to the configured namespace.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import kubernetes.config
import urllib3

from jobscheduler import errors
from jobscheduler.config import Settings
from jobscheduler.kube.calls import ApiCalls, disable_urllib3_retries, json_lines
from jobscheduler.kube.errors import ResourceExpired

# How often a log stream checks whether its reader still wants it.
_LOG_STOP_POLL_SECONDS = 0.5

JSON = dict[str, Any]


class KubeGateway:
    """Typed access to the few Kubernetes endpoints the service uses."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_client = api_client
        self._settings = settings
        disable_urllib3_retries(api_client)
        calls = ApiCalls(settings, sleep)
        self._json = calls.json
        self._call = calls.call
        self._sleep = sleep
        self._batch = kubernetes.client.BatchV1Api(api_client)
        self._core = kubernetes.client.CoreV1Api(api_client)
        self._version = kubernetes.client.VersionApi(api_client)

    @classmethod
    def from_settings(
        cls, settings: Settings, api_client: kubernetes.client.ApiClient | None = None
    ) -> KubeGateway:
        """In-cluster service account, else KUBECONFIG (or its default path), else the given
        client (tests and the embedded cluster)."""
        if api_client is None:
            configuration = kubernetes.client.Configuration()
            if settings.in_cluster:
                kubernetes.config.load_incluster_config(client_configuration=configuration)
            else:
                kubernetes.config.load_kube_config(
                    config_file=settings.kubeconfig, client_configuration=configuration
                )
            api_client = kubernetes.client.ApiClient(configuration)
        return cls(api_client, settings)

    # ---- jobs ---------------------------------------------------------------------------

    def create_job(self, namespace: str, body: JSON) -> JSON:
        name = body["metadata"]["name"]
        return self._json(
            "create",
            "jobs",
            f"{namespace}/{name}",
            self._batch.create_namespaced_job,
            namespace,
            body,
        )

    def get_job(self, namespace: str, name: str) -> JSON:
        return self._json(
            "get", "jobs", f"{namespace}/{name}", self._batch.read_namespaced_job, name, namespace
        )

    def list_jobs(
        self,
        namespace: str | None,
        *,
        label_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> JSON:
        kwargs = _list_kwargs(label_selector, limit, continue_token)
        if namespace is None:
            return self._json(
                "list", "jobs", "jobs", self._batch.list_job_for_all_namespaces, **kwargs
            )
        return self._json(
            "list",
            "jobs",
            f"jobs in {namespace}",
            self._batch.list_namespaced_job,
            namespace,
            **kwargs,
        )

    def patch_job(self, namespace: str, name: str, patch: JSON) -> JSON:
        """Strategic-merge patch; a ``metadata.resourceVersion`` in it is a precondition
        (409 Conflict -> ``errors.Conflict`` when the object changed)."""
        return self._json(
            "patch",
            "jobs",
            f"{namespace}/{name}",
            self._batch.patch_namespaced_job,
            name,
            namespace,
            patch,
        )

    def delete_job(self, namespace: str, name: str) -> None:
        # Background: the Job goes now and the garbage collector removes its pods.
        self._json(
            "delete",
            "jobs",
            f"{namespace}/{name}",
            self._batch.delete_namespaced_job,
            name,
            namespace,
            propagation_policy="Background",
        )

    def watch_jobs(
        self,
        namespace: str,
        *,
        resource_version: str,
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int,
    ) -> Iterator[JSON]:
        """Events ``{"type", "object"}`` from ``resource_version`` until the server closes the
        stream after ``timeout_seconds``. Raises ``ResourceExpired`` when that version is gone
        (410), as an HTTP status or as an ERROR event."""
        response = self._call(
            "watch",
            "jobs",
            f"watch of jobs in {namespace}",
            self._batch.list_namespaced_job,
            namespace,
            watch=True,
            resource_version=resource_version,
            label_selector=label_selector,
            field_selector=field_selector,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout_seconds,
            # The server ends the stream at timeout_seconds; the read timeout only guards
            # against a connection that went silent.
            _read_timeout=timeout_seconds + 10,
        )
        try:
            for line in json_lines(response):
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    if status.get("code") == 410:
                        raise ResourceExpired(str(status.get("message", "watch expired")))
                    raise errors.Unavailable("the Kubernetes watch failed")
                yield event
        except urllib3.exceptions.ReadTimeoutError:
            return  # a silent stream: the caller re-watches from its last version
        except urllib3.exceptions.HTTPError as exc:
            raise errors.Unavailable("the Kubernetes watch connection broke off") from exc
        finally:
            response.release_conn()

    # ---- cronjobs -----------------------------------------------------------------------

    def create_cronjob(self, namespace: str, body: JSON) -> JSON:
        name = body["metadata"]["name"]
        return self._json(
            "create",
            "cronjobs",
            f"{namespace}/{name}",
            self._batch.create_namespaced_cron_job,
            namespace,
            body,
        )

    def get_cronjob(self, namespace: str, name: str) -> JSON:
        return self._json(
            "get",
            "cronjobs",
            f"{namespace}/{name}",
            self._batch.read_namespaced_cron_job,
            name,
            namespace,
        )

    def list_cronjobs(
        self,
        namespace: str | None,
        *,
        label_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> JSON:
        if namespace is None:
            return self._json(
                "list",
                "cronjobs",
                "cronjobs",
                self._batch.list_cron_job_for_all_namespaces,
                **_list_kwargs(label_selector, limit, continue_token),
            )
        return self._json(
            "list",
            "cronjobs",
            f"cronjobs in {namespace}",
            self._batch.list_namespaced_cron_job,
            namespace,
            **_list_kwargs(label_selector, limit, continue_token),
        )

    def patch_cronjob(self, namespace: str, name: str, patch: JSON) -> JSON:
        return self._json(
            "patch",
            "cronjobs",
            f"{namespace}/{name}",
            self._batch.patch_namespaced_cron_job,
            name,
            namespace,
            patch,
        )

    def delete_cronjob(self, namespace: str, name: str) -> None:
        # Background: the CronJob goes now; its Jobs and their pods are garbage-collected.
        self._json(
            "delete",
            "cronjobs",
            f"{namespace}/{name}",
            self._batch.delete_namespaced_cron_job,
            name,
            namespace,
            propagation_policy="Background",
        )

    # ---- pods ---------------------------------------------------------------------------

    def list_pods(self, namespace: str, *, label_selector: str, limit: int = 0) -> JSON:
        """Matching pods; with ``limit``, only the first page of that size."""
        return self._json(
            "list",
            "pods",
            f"pods in {namespace}",
            self._core.list_namespaced_pod,
            namespace,
            **_list_kwargs(label_selector, limit, ""),
        )

    def stream_pod_log(
        self,
        namespace: str,
        pod: str,
        *,
        container: str | None,
        follow: bool,
        tail_lines: int | None,
        since_seconds: int | None,
        limit_bytes: int | None,
        read_timeout_seconds: float,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> Iterator[bytes]:
        """Raw log bytes as they arrive, until the server ends the stream, nothing arrives for
        ``read_timeout_seconds``, or ``keep_going()`` turns false: a followed log of a silent
        container would otherwise hold this thread (and a server's shutdown) indefinitely."""
        kwargs: dict[str, Any] = {"follow": follow}
        if container:
            kwargs["container"] = container
        if tail_lines:
            kwargs["tail_lines"] = tail_lines
        if since_seconds:
            kwargs["since_seconds"] = since_seconds
        if limit_bytes:
            kwargs["limit_bytes"] = limit_bytes
        response = self._call(
            "get",
            "pods/log",
            f"log of pod {namespace}/{pod}",
            self._core.read_namespaced_pod_log,
            pod,
            namespace,
            _read_timeout=read_timeout_seconds,
            **kwargs,
        )
        finished = threading.Event()
        stopped = threading.Event()

        def watchdog() -> None:
            while not finished.wait(_LOG_STOP_POLL_SECONDS):
                if not keep_going():
                    stopped.set()
                    _interrupt(response)
                    return

        guard = threading.Thread(target=watchdog, name="log-stream-watchdog", daemon=True)
        guard.start()
        try:
            yield from response.stream(4096, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            return
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if stopped.is_set():
                return  # we cut the connection ourselves
            raise errors.Unavailable("the log stream from Kubernetes broke off") from exc
        finally:
            finished.set()
            guard.join()
            response.release_conn()

    # ---- reachability -------------------------------------------------------------------

    def server_version(self) -> str:
        """``gitVersion`` of the API server; raises ``Unavailable`` when unreachable."""
        version = self._json("get", "version", "the API server version", self._version.get_code)
        return str(version.get("gitVersion", ""))


def _interrupt(response: Any) -> None:
    """Wake a thread blocked reading ``response``: shutting the socket down does that on every
    platform, where closing it from another thread may not."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def _list_kwargs(label_selector: str, limit: int, continue_token: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if label_selector:
        kwargs["label_selector"] = label_selector
    if limit:
        kwargs["limit"] = limit
    if continue_token:
        kwargs["_continue"] = continue_token
    return kwargs
