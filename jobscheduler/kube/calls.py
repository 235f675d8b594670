"""How the gateway makes one Kubernetes API call: deadline, retries, metrics, errors.

Every call is bounded by the caller's deadline (``requestctx.remaining_seconds``), retried on
429/5xx/connection errors (honouring Retry-After) within that deadline and
``K8S_MAX_RETRIES``, counted in ``KUBERNETES_API_CALLS``/``KUBERNETES_API_SECONDS``, and
translated into ``jobscheduler.errors`` by ``kube.errors``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import kubernetes.client
import urllib3
from kubernetes.client.exceptions import ApiException

from jobscheduler import errors, metrics, requestctx, tracing
from jobscheduler.backoff import BackoffPolicy
from jobscheduler.config import Settings
from jobscheduler.kube import jsoncodec
from jobscheduler.kube.errors import parse_status, to_domain_error, truncated

log = logging.getLogger(__name__)

JSON = dict[str, Any]
# Longest Retry-After we wait for; a server asking for longer is effectively unavailable.
MAX_RETRY_AFTER_SECONDS = 5.0
RETRY_BACKOFF = BackoffPolicy(initial_seconds=0.05, max_seconds=1.0, jitter=0.25)
# Statuses whose failures are expected answers (not worth a warning in the log).
_EXPECTED_STATUSES = frozenset({400, 401, 403, 404, 409, 410, 422, 429})


@dataclass(frozen=True)
class Request:
    """One HTTP request to the API server, and how it is counted and named."""

    verb: str  # metric label: get, list, watch, create, patch, delete
    resource: str  # metric label: the plural ("jobs", "pods/log", "version")
    what: str  # names the target in errors: "default/job-abc", "jobs in default"
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Any = None
    content_type: str = "application/json"


class ApiCalls:
    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        settings: Settings,
        sleep: Callable[[float], None],
    ) -> None:
        self._api_client = api_client
        self._settings = settings
        self._sleep = sleep

    def json(self, request: Request) -> JSON:
        response = self.call(request, read_body=True)
        data = response.data  # already read inside call, under its timeout handling
        result = jsoncodec.loads(data) if data else {}
        if not isinstance(result, dict):
            raise errors.Internal(
                f"unexpected Kubernetes response to {request.verb} {request.resource}"
            )
        return result

    def call(
        self, request: Request, *, read_timeout: float | None = None, read_body: bool = False
    ) -> Any:
        """One API call with deadline, retries, metrics and error translation; the raw
        (unread unless ``read_body``) urllib3 response."""
        with tracing.span(
            f"kubernetes {request.verb} {request.resource}",
            {"http.request.method": request.method, "k8s.resource": request.resource},
        ):
            return self._call(request, read_timeout, read_body)

    def _call(self, request: Request, read_timeout: float | None, read_body: bool) -> Any:
        verb, resource = request.verb, request.resource
        attempt = 0
        while True:
            remaining = requestctx.remaining_seconds()
            if remaining is not None and remaining <= 0:
                raise errors.DeadlineExceeded(f"deadline exceeded before {verb} {resource}")
            timeout = self._settings.k8s_request_timeout_seconds
            if remaining is not None:
                timeout = min(timeout, remaining)
            started = time.monotonic()
            try:
                response = self._send(request, (timeout, read_timeout or timeout))
                if read_body:
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
                if code not in _EXPECTED_STATUSES:
                    log.warning(
                        "kubernetes %s %s failed with %s: %s",
                        verb,
                        resource,
                        code,
                        truncated(exc.body),
                    )
                raise to_domain_error(status, request.what) from exc
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

    def _send(self, request: Request, timeout: tuple[float, float]) -> Any:
        """The request as it goes on the wire: plain JSON both ways, no client models."""
        headers = {"Accept": "application/json"}
        if request.body is not None:
            headers["Content-Type"] = request.content_type
        return self._api_client.call_api(
            request.path,
            request.method,
            query_params=list(request.query),
            header_params=headers,
            body=request.body,
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _preload_content=False,
            _request_timeout=timeout,
        )

    def _may_retry(self, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next attempt if retries and the caller's deadline allow one."""
        if attempt >= self._settings.k8s_max_retries:
            return False
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_SECONDS:
                return False
            delay = retry_after
        else:
            delay = RETRY_BACKOFF.delay(attempt + 1)
        remaining = requestctx.remaining_seconds()
        if remaining is not None and delay >= remaining:
            return False
        self._sleep(delay)
        return True


def disable_urllib3_retries(api_client: kubernetes.client.ApiClient) -> None:
    """We retry ourselves, within the caller's deadline. urllib3's own retries would not
    respect it: they re-send a timed-out GET with a fresh timeout and sleep through a 429's
    Retry-After, however long."""
    pool_manager = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    if pool_manager is None:
        return
    pool_manager.connection_pool_kw["retries"] = False
    pool_manager.clear()  # pools created before this keep their own retry policy


def json_lines(response: Any) -> Iterator[str]:
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


def _record(verb: str, resource: str, code: str, seconds: float) -> None:
    metrics.KUBERNETES_API_CALLS.labels(verb=verb, resource=resource, code=code).inc()
    metrics.KUBERNETES_API_SECONDS.labels(verb=verb, resource=resource).observe(seconds)
