"""The Kubernetes REST protocol over HTTP/1.1 on loopback.

Keep-alive connections, one thread per connection, chunked streaming for watches and followed
pod logs. Requests are translated into ``ApiServer`` calls; ``ApiError`` becomes a ``Status``
body with its HTTP code. What kube-apiserver answers outside the resource API is mimicked too:
text 404 for non-API paths, 405 for a verb a path does not take, 415 for a bad patch type.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from kubesim.apiserver import patching, tables
from kubesim.apiserver.eventsview import core_field_selector, to_events_v1
from kubesim.apiserver.registry import ResourceType, resource_type
from kubesim.apiserver.server import ApiServer, request_created, request_warnings
from kubesim.auth.gate import Gate
from kubesim.auth.identity import UserInfo
from kubesim.auth.tls import ServingCertificate
from kubesim.clusterapi import JSON, ApiError, PodLogSource
from kubesim.http.faults import FaultInjector
from kubesim.http.podlogs import serve_logs
from kubesim.http.queryopts import (
    delete_options,
    dry_run_option,
    first,
    flag,
    method_not_allowed,
    request_verb,
)
from kubesim.http.routing import Route, route
from kubesim.http.wire import WireHandler, dumps, warning_header

log = logging.getLogger(__name__)
_BODY_TYPES = {"application/json", "application/yaml", *patching.PATCH_TYPES}


class _Dropped(Exception):
    """The connection is to be closed without an answer (injected fault)."""


class EmbeddedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        api: ApiServer,
        faults: FaultInjector,
        *,
        gate: Gate,
        logs: PodLogSource | None = None,
        tls: ServingCertificate | None = None,
    ) -> None:
        self.api = api
        self.gate = gate  # authentication and authorization of every request
        self.tls = tls
        self.faults = faults
        self.logs = logs
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.closing = threading.Event()
        super().__init__(address, _Handler)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Serve TLS too on this port (kubectl sends credentials only over TLS)."""
        served = self.tls.accept(request) if self.tls is not None else request
        if served is None or served is request:
            if served is not None:
                super().finish_request(request, client_address)
            return
        with self._connections_lock:
            self._connections.add(served)
        try:
            super().finish_request(served, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(served)
            served.close()

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection (idle keep-alives, streams) so handler threads exit."""
        self.closing.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(WireHandler):
    server: EmbeddedHTTPServer
    user: UserInfo  # who sent the request being handled (set once it is admitted)

    def setup(self) -> None:
        super().setup()
        self.closing = self.server.closing

    def _dispatch(self, method: str) -> None:
        warnings: list[str] = []
        warnings_token = request_warnings.set(warnings)
        created: list[bool] = []
        created_token = request_created.set(created)
        try:
            self._handle(method, warnings, created)
        except _Dropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        except ApiError as error:
            self._send_error(error)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("embedded API server failed on %s %s", method, self.path)
            self._send_error(
                ApiError(500, "InternalError", "Internal error occurred: see server log")
            )
        finally:
            request_warnings.reset(warnings_token)
            request_created.reset(created_token)

    def _handle(self, method: str, warnings: list[str], created: list[bool]) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        body = self._read_body()
        self.user = self.server.gate.admit(
            method, url.path, query, self.headers.get("Authorization")
        )
        target = route(url.path, self.server.address)
        verb = request_verb(method, target, query)
        self._apply_faults(verb, target.resource.plural if target.resource else None)
        if target.resource is None:
            if method != "GET":
                raise method_not_allowed()
            if target.text is not None:
                self._send(target.status, target.text.encode(), "text/plain; charset=utf-8")
            else:
                assert target.document is not None
                self._send_json(200, target.document)
            return
        code, result = self._resource(
            method=method, verb=verb, target=target, query=query, body=body, created=created
        )
        if result is None:
            return
        headers = {"Warning": warning_header(warnings)} if warnings else None
        self._send_json(code, result, headers)

    def _apply_faults(self, verb: str, resource: str | None) -> None:
        for fault in self.server.faults.take(verb, resource):
            if fault.action == "latency":
                self.server.faults.released.wait(fault.seconds)
            elif fault.action == "status":
                assert fault.error is not None
                raise fault.error
            elif fault.action == "hang":
                self.server.faults.released.wait(fault.seconds)
                raise _Dropped()
            elif fault.action == "drop":
                raise _Dropped()

    # -- resources ------------------------------------------------------------------------
    def _wants_table(self) -> bool:
        return "as=Table" in (self.headers.get("Accept") or "")

    def _decode(self, body: bytes, rt: ResourceType) -> Any:
        content_type = (
            (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        )
        if content_type not in _BODY_TYPES and body:
            # Protobuf (what kubectl's typed commands such as `create job` send) is not served.
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: application/json, application/yaml ({content_type} is not supported "
                "by the embedded cluster)",
                {},
            )
        try:
            if content_type in ("application/yaml", patching.APPLY_PATCH):
                return yaml.safe_load(body.decode())
            return json.loads(body) if body else None
        except (ValueError, yaml.YAMLError) as error:
            snippet = body[:30].decode(errors="replace")
            raise ApiError(
                400,
                "BadRequest",
                f"the object provided is unrecognized (must be of type {rt.kind}): couldn't get "
                f"version/kind; json parse error: {error} ({snippet} ...)",
            ) from None

    def _resource(
        self,
        *,
        method: str,
        verb: str,
        target: Route,
        query: dict[str, list[str]],
        body: bytes,
        created: list[bool],
    ) -> tuple[int, JSON | None]:
        api = self.server.api
        rt = target.resource
        assert rt is not None
        namespace, name, sub = target.namespace, target.name, target.subresource
        if self.server.gate.answers(rt, sub):
            body_json = self._decode(body, rt)
            return 201, self.server.gate.serve(
                self.user, verb, rt, namespace=namespace, name=name, body=body_json
            )
        if rt.group == "events.k8s.io":
            return 200, self._events_view(verb, namespace, name, query)
        field_validation = first(query, "fieldValidation")
        if verb == "list":
            return 200, self._list(rt, namespace, query)
        if verb == "watch":
            self._watch(rt, namespace, query)
            return 200, None
        if verb == "get":
            assert name is not None
            if sub == "log":
                self._logs(namespace or "", name, query)
                return 200, None
            obj = api.get(rt.plural, namespace, name, subresource=sub)
            if self._wants_table():
                return 200, tables.to_table(
                    rt,
                    [obj],
                    {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                    api.clock.now(),
                    first(query, "includeObject", "Metadata"),
                )
            return 200, obj
        if verb == "create":
            if name is not None:
                raise method_not_allowed()
            dry_run = dry_run_option(query.get("dryRun"), "CreateOptions")
            return 201, api.create(
                rt.plural,
                namespace,
                self._decode(body, rt),
                dry_run=dry_run,
                field_validation=field_validation,
                body_is_owned=True,
            )
        if verb == "update":
            if name is None or sub == "log":
                raise method_not_allowed()
            dry_run = dry_run_option(query.get("dryRun"), "UpdateOptions")
            return 200, api.update(
                rt.plural,
                namespace,
                name,
                self._decode(body, rt),
                subresource=sub,
                dry_run=dry_run,
                field_validation=field_validation,
            )
        if verb == "patch":
            if name is None or sub == "log":
                raise method_not_allowed()
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type not in patching.PATCH_TYPES:
                raise patching.unsupported_media_type()
            dry_run = dry_run_option(query.get("dryRun"), "PatchOptions")
            result = api.patch(
                rt.plural,
                namespace,
                name,
                self._decode(body, rt),
                content_type,
                subresource=sub,
                dry_run=dry_run,
                field_manager=first(query, "fieldManager"),
                field_validation=field_validation,
                force=flag(query, "force"),
            )
            return (201 if created else 200), result
        if verb in ("delete", "deletecollection"):
            return self._delete(rt, namespace, name, query, body)
        raise method_not_allowed()

    def _events_view(
        self, verb: str, namespace: str | None, name: str | None, query: dict[str, list[str]]
    ) -> JSON:
        """events.k8s.io/v1 reads, answered from the core v1 Events."""
        core = resource_type("events")
        if verb == "get" and name is not None:
            event = self.server.api.get("events", namespace, name)
            return {"kind": "Event", "apiVersion": "events.k8s.io/v1", **to_events_v1(event)}
        if verb != "list":
            raise method_not_allowed()
        selector = first(query, "fieldSelector")
        if selector:
            query = {**query, "fieldSelector": [core_field_selector(selector)]}
        result = self._list(core, namespace, query)
        if result.get("kind") != "EventList":
            return result  # a Table: its rows already name the events
        return {
            **result,
            "apiVersion": "events.k8s.io/v1",
            "items": [to_events_v1(item) for item in result["items"]],
        }

    def _list(self, rt: ResourceType, namespace: str | None, query: dict[str, list[str]]) -> JSON:
        api = self.server.api
        try:
            limit = int(first(query, "limit", "0") or 0)
        except ValueError:
            limit = 0
        result = api.list(
            rt.plural,
            namespace,
            label_selector=first(query, "labelSelector"),
            field_selector=first(query, "fieldSelector"),
            limit=max(0, limit),
            continue_token=first(query, "continue"),
            resource_version=first(query, "resourceVersion"),
            resource_version_match=first(query, "resourceVersionMatch"),
        )
        if self._wants_table():
            return tables.to_table(
                rt,
                result["items"],
                result["metadata"],
                api.clock.now(),
                first(query, "includeObject", "Metadata"),
            )
        return result

    def _delete(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str | None,
        query: dict[str, list[str]],
        body: bytes,
    ) -> tuple[int, JSON]:
        # With a DeleteOptions body, query parameters are ignored (reference B9).
        decoded = self._decode(body, rt) if body.strip() else None
        options = delete_options(decoded if isinstance(decoded, dict) else None, query)
        api = self.server.api
        if name is None:
            if "deletecollection" not in rt.verbs:
                raise method_not_allowed()
            return 200, api.delete_collection(
                rt.plural,
                namespace,
                label_selector=first(query, "labelSelector"),
                field_selector=first(query, "fieldSelector"),
                propagation_policy=options.propagation_policy,
                dry_run=options.dry_run,
            )
        return 200, api.delete(
            rt.plural,
            namespace,
            name,
            propagation_policy=options.propagation_policy,
            preconditions=options.preconditions,
            grace_period_seconds=options.grace_period_seconds,
            dry_run=options.dry_run,
        )

    def _watch(self, rt: ResourceType, namespace: str | None, query: dict[str, list[str]]) -> None:
        api = self.server.api
        timeout_text = first(query, "timeoutSeconds")
        timeout = float(timeout_text) if timeout_text else None
        stream = api.watch(
            rt.plural,
            namespace,
            resource_version=first(query, "resourceVersion"),
            label_selector=first(query, "labelSelector"),
            field_selector=first(query, "fieldSelector"),
            allow_bookmarks=flag(query, "allowWatchBookmarks"),
            timeout_seconds=timeout,
            send_initial_events=flag(query, "sendInitialEvents"),
        )
        stream.alive = self._client_alive  # type: ignore[attr-defined]
        as_table = self._wants_table()
        self._start_stream("application/json")
        try:
            for event in stream:
                obj = event["object"]
                if as_table and event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                    obj = tables.to_table(
                        rt,
                        [obj],
                        {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                        api.clock.now(),
                    )
                self._chunk(dumps({"type": event["type"], "object": obj}) + b"\n")
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            stream.stop()

    def _logs(self, namespace: str, name: str, query: dict[str, list[str]]) -> None:
        chunks, follow = serve_logs(self.server.api, self.server.logs, namespace, name, query)
        if chunks is None:
            self._send(204, b"", content_type=None)
            return
        if not follow:
            self._send(200, "".join(chunks).encode(), "text/plain")
            return
        self._start_stream("text/plain")
        try:
            for text in chunks:
                if self.server.closing.is_set():
                    break
                self._chunk(text.encode())
            self._end_stream()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
