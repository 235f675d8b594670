"""KubeGateway: the only code that calls the Kubernetes API.

One set of verbs (create, get, list, patch, delete, watch, and a pod's log), each taking a
``kube.resources.Resource``: nothing is written per kind. Everything it sends and receives is
plain JSON (dicts), not client model objects: the service reads a handful of fields, and
skipping model deserialization makes each call several times cheaper. How each call is
bounded, retried, counted and translated is ``kube.calls``.

Kubernetes access it needs (the RBAC Role is derived from this list; keep it exact):

======================  =====================  =====================================================
API group               resource               verbs
======================  =====================  =====================================================
batch                   jobs                   create, get, list, watch, patch, delete
batch                   cronjobs               create, get, list, watch, patch, delete
"" (core)               pods                   list, watch
"" (core)               pods/log               get
"" (core)               events                 list (the dashboard's job page)
"" (core)               configmaps             create, get, list, patch, delete (templates, logs)
authentication.k8s.io   tokenreviews           create (callers' tokens; a ClusterRole)
authorization.k8s.io    subjectaccessreviews   create (callers' rights; a ClusterRole)
non-resource            /version               get (reachability probe; everyone may)
======================  =====================  =====================================================

Only the background sweep (delayed starts, expired cancellations) lists jobs across all
namespaces; without a ClusterRole granting that it falls back to the configured namespace.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Literal

import kubernetes.client
import kubernetes.config
import urllib3

from jobscheduler import errors
from jobscheduler.config import Settings
from jobscheduler.kube import jsoncodec
from jobscheduler.kube.calls import ApiCalls, Request, disable_urllib3_retries, json_lines
from jobscheduler.kube.errors import ResourceExpired
from jobscheduler.kube.resources import PODS, Resource

# How often a log stream checks whether its reader still wants it.
_LOG_STOP_POLL_SECONDS = 0.5
# "merge": RFC 7386 JSON merge patch (a dict; null removes a key). "json": RFC 6902 (a list
# of operations, e.g. a "test" of a value as a precondition). "strategic": Kubernetes' own.
PatchType = Literal["merge", "json", "strategic"]
_PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}

JSON = dict[str, Any]


class KubeGateway:
    """Typed access to the Kubernetes API: one method per verb, any kind of ``Resource``."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        disable_urllib3_retries(api_client)
        self._calls = ApiCalls(api_client, settings, sleep)

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

    # ---- writes -------------------------------------------------------------------------

    def create(self, resource: Resource, namespace: str | None, body: JSON) -> JSON:
        """The object as stored. Also for kinds that are only ever created and answered in
        place (TokenReview, SubjectAccessReview): the answer is the returned ``status``."""
        name = str((body.get("metadata") or {}).get("name") or "")
        request = _request("create", "POST", resource, namespace, name, body=body)
        return self._calls.json(replace(request, path=resource.path(namespace)))

    def patch(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        patch: JSON | list[JSON],
        *,
        patch_type: PatchType = "merge",
    ) -> JSON:
        """The patched object. A ``metadata.resourceVersion`` in a merge patch is a
        precondition: 409 (``errors.Conflict``) when the object changed since."""
        content_type = _PATCH_CONTENT_TYPES[patch_type]
        return self._calls.json(
            _request(
                "patch", "PATCH", resource, namespace, name, body=patch, content_type=content_type
            )
        )

    def delete(
        self,
        resource: Resource,
        namespace: str | None,
        name: str,
        *,
        propagation: str = "Background",
        preconditions: JSON | None = None,
    ) -> None:
        """Background propagation (the default): the object goes now and the garbage
        collector removes what it owns (a Job's pods, a CronJob's Jobs). ``preconditions``
        (``{"uid": ..., "resourceVersion": ...}``) make it 409 if the object changed."""
        options: JSON = {"propagationPolicy": propagation}
        if preconditions:
            options["preconditions"] = preconditions
        self._calls.json(_request("delete", "DELETE", resource, namespace, name, body=options))

    # ---- reads (``kube.reader.JobReader``) ----------------------------------------------

    def get(self, resource: Resource, namespace: str | None, name: str) -> JSON:
        return self._calls.json(_request("get", "GET", resource, namespace, name))

    def list(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
    ) -> JSON:
        """One page (all of them without ``limit``); ``namespace=None`` lists across all
        namespaces. ``metadata.continue`` of the answer asks for the next page."""
        query = _selectors(label_selector, field_selector)
        if limit:
            query += (("limit", str(limit)),)
        if continue_token:
            query += (("continue", continue_token),)
        return self._calls.json(_request("list", "GET", resource, namespace, query=query))

    def watch(
        self,
        resource: Resource,
        namespace: str | None,
        *,
        resource_version: str,
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int,
        on_open: Callable[[Callable[[], None]], None] | None = None,
    ) -> Iterator[JSON]:
        """Events ``{"type", "object"}`` from ``resource_version`` until the server closes the
        stream after ``timeout_seconds``. Raises ``ResourceExpired`` when that version is gone
        (410), as an HTTP status or as an ERROR event. ``on_open`` is given, once the stream is
        open, a function that ends it from another thread (the events simply stop): a quiet
        watch would otherwise hold its reader until the next event or the timeout."""
        query = (
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
            *_selectors(label_selector, field_selector),
        )
        request = _request("watch", "GET", resource, namespace, query=query)
        response = self._calls.call(
            replace(request, what=f"watch of {request.what}"),
            # The server ends the stream at timeout_seconds; the read timeout only guards
            # against a connection that went silent.
            read_timeout=timeout_seconds + 10,
        )
        interrupted = threading.Event()
        cut = threading.Event()  # by ``interrupt``, not by the stream's own end
        # Held while cutting and while handing the connection back to the pool, so a late
        # interrupt never shuts down a connection another request has taken from it.
        handing_back = threading.Lock()
        if on_open is not None:

            def interrupt() -> None:
                with handing_back:
                    if not interrupted.is_set():
                        interrupted.set()
                        cut.set()
                        _interrupt(response)

            on_open(interrupt)
        try:
            for line in json_lines(response):
                event = jsoncodec.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    if status.get("code") == 410:
                        raise ResourceExpired(str(status.get("message", "watch expired")))
                    raise errors.Unavailable("the Kubernetes watch failed")
                if interrupted.is_set():
                    return
                yield event
        except urllib3.exceptions.ReadTimeoutError:
            return  # a silent stream: the caller re-watches from its last version
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if interrupted.is_set():
                return  # we cut the connection ourselves
            raise errors.Unavailable("the Kubernetes watch connection broke off") from exc
        except AttributeError:
            # A read racing the cut can find the TLS state the socket shutdown dropped gone.
            if interrupted.is_set():
                return
            raise
        finally:
            with handing_back:
                interrupted.set()
                if cut.is_set():
                    # Closed here, by the reader, once its read has returned: closing from the
                    # cutting thread would wait on the read it is trying to end.
                    with contextlib.suppress(Exception):
                        response.close()
                else:
                    response.release_conn()

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
        options = {
            "container": container,
            "tailLines": tail_lines,
            "sinceSeconds": since_seconds,
            "limitBytes": limit_bytes,
        }
        given = ((key, str(value)) for key, value in options.items() if value)
        query = (("follow", "true" if follow else "false"), *given)
        response = self._calls.call(
            Request(
                "get",
                "pods/log",
                f"log of pod {namespace}/{pod}",
                "GET",
                PODS.path(namespace, pod, "log"),
                query=query,
            ),
            read_timeout=read_timeout_seconds,
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
        version = self._calls.json(
            Request("get", "version", "the API server version", "GET", "/version/")
        )
        return str(version.get("gitVersion", ""))


def _request(
    verb: str,
    method: str,
    resource: Resource,
    namespace: str | None,
    name: str = "",
    **options: Any,
) -> Request:
    """A request on one object (``name``) or on the collection, named in errors as
    "default/job-abc", "jobs in default" or "jobs" (all namespaces)."""
    if name:
        what = f"{namespace}/{name}" if namespace else name
    else:
        what = f"{resource.plural} in {namespace}" if namespace else resource.plural
    path = resource.path(namespace, name)
    return Request(verb, resource.plural, what, method, path, **options)


def _selectors(label_selector: str, field_selector: str) -> tuple[tuple[str, str], ...]:
    query: tuple[tuple[str, str], ...] = ()
    if label_selector:
        query += (("labelSelector", label_selector),)
    if field_selector:
        query += (("fieldSelector", field_selector),)
    return query


def _interrupt(response: Any) -> None:
    """Wake a thread blocked reading ``response``: shutting the socket down does that on every
    platform and never blocks. Closing the response would: it takes the lock of the buffered
    reader the blocked read holds, so the caller (a shutdown) would hang until the next event."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    with contextlib.suppress(OSError, ValueError):
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
