"""KubeGateway: the only code that calls the Kubernetes API.

Everything it sends and receives is plain JSON (dicts), not client model objects: the service
reads a handful of fields, and skipping model deserialization makes each call several times
cheaper. Every call is bounded by the caller's deadline (``requestctx.remaining_seconds``),
retried on 429/5xx/connection errors (honouring Retry-After) within that deadline, counted in
``KUBERNETES_API_CALLS``/``KUBERNETES_API_SECONDS``, and translated into ``jobscheduler.errors``.

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

``list``/``watch`` on jobs across all namespaces is attempted by the delayed-start release loop
only; without a ClusterRole it falls back to the configured namespace.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import kubernetes.config
import urllib3
from kubernetes.client.exceptions import ApiException

from jobscheduler import errors, metrics, requestctx
from jobscheduler.config import Settings
from jobscheduler.kube.errors import ResourceExpired, parse_status, to_domain_error, truncated

log = logging.getLogger(__name__)

JSON = dict[str, Any]
# Longest Retry-After we wait for; a server asking for longer is effectively unavailable.
MAX_RETRY_AFTER_SECONDS = 5.0
_BACKOFF_BASE_SECONDS = 0.05
_BACKOFF_MAX_SECONDS = 1.0


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
        _disable_urllib3_retries(api_client)
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
            for line in _lines(response):
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
        self, namespace: str, *, label_selector: str = "", limit: int = 0, continue_token: str = ""
    ) -> JSON:
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

    def list_pods(self, namespace: str, *, label_selector: str) -> JSON:
        return self._json(
            "list",
            "pods",
            f"pods in {namespace}",
            self._core.list_namespaced_pod,
            namespace,
            label_selector=label_selector,
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
    ) -> Iterator[bytes]:
        """Raw log bytes as they arrive. Ends when the server ends the stream or nothing
        arrives for ``read_timeout_seconds`` (the caller then checks whether to go on)."""
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
        try:
            yield from response.stream(4096, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError:
            return
        except urllib3.exceptions.ProtocolError as exc:
            raise errors.Unavailable("the log stream from Kubernetes broke off") from exc
        finally:
            response.release_conn()

    # ---- reachability -------------------------------------------------------------------

    def server_version(self) -> str:
        """``gitVersion`` of the API server; raises ``Unavailable`` when unreachable."""
        version = self._json("get", "version", "the API server version", self._version.get_code)
        return str(version.get("gitVersion", ""))

    # ---- plumbing -----------------------------------------------------------------------

    def _json(
        self, verb: str, resource: str, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> JSON:
        response = self._call(verb, resource, what, fn, *args, _read_body=True, **kwargs)
        data = response.data  # already read inside _call, under its timeout handling
        result = json.loads(data) if data else {}
        if not isinstance(result, dict):
            raise errors.Internal(f"unexpected Kubernetes response to {verb} {resource}")
        return result

    def _call(
        self,
        verb: str,
        resource: str,
        what: str,
        fn: Callable[..., Any],
        *args: Any,
        _read_timeout: float | None = None,
        _read_body: bool = False,
        **kwargs: Any,
    ) -> Any:
        """One API call with deadline, retries, metrics and error translation."""
        attempt = 0
        while True:
            remaining = requestctx.remaining_seconds()
            if remaining is not None and remaining <= 0:
                raise errors.DeadlineExceeded(f"deadline exceeded before {verb} {resource}")
            timeout = self._settings.k8s_request_timeout_seconds
            if remaining is not None:
                timeout = min(timeout, remaining)
            read_timeout = _read_timeout if _read_timeout is not None else timeout
            started = time.monotonic()
            try:
                response = fn(
                    *args,
                    _preload_content=False,
                    _request_timeout=(timeout, read_timeout),
                    **kwargs,
                )
                if _read_body:
                    _ = response.data  # read here, so a slow body is a timeout like any other
            except ApiException as exc:
                code = exc.status or 0
                _record(verb, resource, str(code), time.monotonic() - started)
                status = parse_status(code, exc.body, exc.headers)
                if code == 0:  # the client could not even build/send the request
                    raise errors.Unavailable(
                        f"cannot reach Kubernetes for {verb} {resource}"
                    ) from exc
                if status.retryable and self._may_retry(attempt, status.retry_after_seconds):
                    attempt += 1
                    continue
                if code >= 500 or code not in (400, 404, 409, 410, 422, 401, 403, 429):
                    log.warning(
                        "kubernetes %s %s failed with %s: %s",
                        verb,
                        resource,
                        code,
                        truncated(exc.body),
                    )
                raise to_domain_error(status, what) from exc
            except urllib3.exceptions.HTTPError as exc:
                _record(verb, resource, "0", time.monotonic() - started)
                if _is_timeout(exc):
                    raise errors.DeadlineExceeded(
                        f"Kubernetes did not answer {verb} {resource} in time"
                    ) from exc
                if self._may_retry(attempt, None):
                    attempt += 1
                    continue
                raise errors.Unavailable(f"cannot reach Kubernetes for {verb} {resource}") from exc
            _record(verb, resource, str(response.status), time.monotonic() - started)
            return response

    def _may_retry(self, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next attempt if retries and the caller's deadline allow one."""
        if attempt >= self._settings.k8s_max_retries:
            return False
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_SECONDS:
                return False
            delay = retry_after
        else:
            delay = min(_BACKOFF_MAX_SECONDS, _BACKOFF_BASE_SECONDS * (2**attempt))
        remaining = requestctx.remaining_seconds()
        if remaining is not None and delay >= remaining:
            return False
        self._sleep(delay)
        return True


def _disable_urllib3_retries(api_client: kubernetes.client.ApiClient) -> None:
    """We retry ourselves, within the caller's deadline. urllib3's own retries would not
    respect it: they re-send a timed-out GET with a fresh timeout and sleep through a 429's
    Retry-After, however long."""
    pool_manager = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    if pool_manager is None:
        return
    pool_manager.connection_pool_kw["retries"] = False
    pool_manager.clear()  # pools created before this keep their own retry policy


def _lines(response: Any) -> Iterator[str]:
    """Newline-delimited JSON lines of a streamed response, as they arrive."""
    buffer = b""
    for chunk in response.stream(4096, decode_content=True):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            if line.strip():
                yield line.decode("utf-8", "replace")
    if buffer.strip():
        yield buffer.decode("utf-8", "replace")


def _is_timeout(exc: BaseException | None) -> bool:
    """Timeouts, also when urllib3 wrapped them after its own retries (MaxRetryError).
    NewConnectionError derives from ConnectTimeoutError but is a refused connection."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError):
        return _is_timeout(exc.reason)
    return isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError
    )


def _list_kwargs(label_selector: str, limit: int, continue_token: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if label_selector:
        kwargs["label_selector"] = label_selector
    if limit:
        kwargs["limit"] = limit
    if continue_token:
        kwargs["_continue"] = continue_token
    return kwargs


def _record(verb: str, resource: str, code: str, seconds: float) -> None:
    metrics.KUBERNETES_API_CALLS.labels(verb=verb, resource=resource, code=code).inc()
    metrics.KUBERNETES_API_SECONDS.labels(verb=verb, resource=resource).observe(seconds)
