"""The Kubernetes REST protocol over HTTP/1.1 on loopback.

Keep-alive connections, one thread per connection, chunked streaming for watches and followed
pod logs. Requests are translated into ``ApiServer`` calls; ``ApiError`` becomes a ``Status``
body with its HTTP code. What kube-apiserver answers outside the resource API is mimicked too:
text 404 for non-API paths, 405 for a verb a path does not take, 415 for a bad patch type.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobscheduler.embedded.api import JSON, ApiError, PodLogSource
from jobscheduler.embedded.apiserver import patching, tables
from jobscheduler.embedded.apiserver.registry import ResourceType
from jobscheduler.embedded.apiserver.server import ApiServer, request_created, request_warnings
from jobscheduler.embedded.faults import FaultInjector
from jobscheduler.embedded.podlogs import serve_logs
from jobscheduler.embedded.routing import Route, route

log = logging.getLogger(__name__)
yaml: Any = importlib.import_module("yaml")  # no type stubs in the environment

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    return _encoder.encode(value).encode()


def _warning_header(warnings: list[str]) -> str:
    """RFC 7234 warn-text: quoted, with inner quotes escaped, as kube-apiserver sends it."""
    return ", ".join(
        '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings
    )


class _Dropped(Exception):
    """The connection is to be closed without an answer (injected fault)."""


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


class EmbeddedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        api: ApiServer,
        faults: FaultInjector,
        logs: PodLogSource | None = None,
    ) -> None:
        self.api = api
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


def _first(query: dict[str, list[str]], key: str, default: str = "") -> str:
    values = query.get(key)
    return values[0] if values else default


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}


def _bool(query: dict[str, list[str]], key: str) -> bool:
    """Go's strconv.ParseBool truth values (the Python client sends ``True``)."""
    return _first(query, key) in _TRUE


def _verb(method: str, target: Route, query: dict[str, list[str]]) -> str:
    collection = target.name is None
    if method == "GET":
        if not collection:
            return "get"
        return "watch" if _bool(query, "watch") else "list"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "deletecollection" if collection else "delete",
    }.get(method, method.lower())


def _dry_run(values: list[str] | None, options_kind: str) -> bool:
    if not values:
        return False
    if values == ["All"]:
        return True
    shown = "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"
    raise ApiError(
        422,
        "Invalid",
        f'{options_kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: {shown}: '
        'supported values: "All"',
        {
            "group": "meta.k8s.io",
            "kind": options_kind,
            "causes": [
                {
                    "reason": "FieldValueNotSupported",
                    "message": f'Unsupported value: {shown}: supported values: "All"',
                    "field": "dryRun",
                }
            ],
        },
    )


class _Headers(dict[str, str]):
    """Request headers by lower-cased name."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


_BODY_TYPES = {"application/json", "application/yaml", *patching.PATCH_TYPES}
_MAX_LINE = 65536
_MAX_HEADERS = 200


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jobscheduler-embedded"
    sys_version = ""
    server: EmbeddedHTTPServer
    headers: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        """A lean HTTP/1.1 request parser: the standard library's (email.parser based) costs
        more than the API server's own work for a create, and the cluster must stay fast."""
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        if not line:
            self.close_connection = True
            return
        parts = line.decode("latin-1").split()
        if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self.close_connection = True
            self._send(400, b"400 Bad Request\n", "text/plain; charset=utf-8")
            return
        self.command, self.path, self.request_version = parts
        headers = _Headers()
        for _ in range(_MAX_HEADERS):
            header = self.rfile.readline(_MAX_LINE + 1)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        handler = getattr(self, "do_" + self.command, None)
        if handler is None:
            self._send_error(method_not_allowed())
            return
        handler()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing -------------------------------------------------------------------------
    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        lines = [f"HTTP/1.1 {code} {self.responses.get(code, ('',))[0]}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head + body)

    def _send_json(self, code: int, value: JSON, headers: dict[str, str] | None = None) -> None:
        self._send(code, _dumps(value), headers=headers)

    def _send_error(self, error: ApiError) -> None:
        self._send_json(error.code, error.to_status(), error.headers)

    def _start_stream(self, content_type: str) -> None:
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Cache-Control: no-cache, private\r\n\r\n"
        )
        self.wfile.write(head.encode())

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def _client_alive(self) -> bool:
        if self.server.closing.is_set():
            return False
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                return bool(self.connection.recv(1, socket.MSG_PEEK))
        except OSError:
            return False
        return True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

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
        target = route(url.path, self.server.address)
        verb = _verb(method, target, query)
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
        headers = {"Warning": _warning_header(warnings)} if warnings else None
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
        field_validation = _first(query, "fieldValidation")
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
                    _first(query, "includeObject", "Metadata"),
                )
            return 200, obj
        if verb == "create":
            if name is not None:
                raise method_not_allowed()
            dry_run = _dry_run(query.get("dryRun"), "CreateOptions")
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
            dry_run = _dry_run(query.get("dryRun"), "UpdateOptions")
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
            dry_run = _dry_run(query.get("dryRun"), "PatchOptions")
            result = api.patch(
                rt.plural,
                namespace,
                name,
                self._decode(body, rt),
                content_type,
                subresource=sub,
                dry_run=dry_run,
                field_manager=_first(query, "fieldManager"),
                field_validation=field_validation,
            )
            return (201 if created else 200), result
        if verb in ("delete", "deletecollection"):
            return self._delete(rt, namespace, name, query, body)
        raise method_not_allowed()

    def _list(self, rt: ResourceType, namespace: str | None, query: dict[str, list[str]]) -> JSON:
        api = self.server.api
        try:
            limit = int(_first(query, "limit", "0") or 0)
        except ValueError:
            limit = 0
        result = api.list(
            rt.plural,
            namespace,
            label_selector=_first(query, "labelSelector"),
            field_selector=_first(query, "fieldSelector"),
            limit=max(0, limit),
            continue_token=_first(query, "continue"),
            resource_version=_first(query, "resourceVersion"),
            resource_version_match=_first(query, "resourceVersionMatch"),
        )
        if self._wants_table():
            return tables.to_table(
                rt,
                result["items"],
                result["metadata"],
                api.clock.now(),
                _first(query, "includeObject", "Metadata"),
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
        options: JSON = {}
        if body.strip():
            # With a DeleteOptions body, query parameters are ignored (reference B9).
            decoded = self._decode(body, rt)
            options = decoded if isinstance(decoded, dict) else {}
            dry_run = _dry_run(options.get("dryRun"), "DeleteOptions")
            policy = options.get("propagationPolicy")
            if policy is None and options.get("orphanDependents") is not None:
                policy = "Orphan" if options["orphanDependents"] else "Background"
            preconditions = options.get("preconditions")
            grace = options.get("gracePeriodSeconds")
        else:
            dry_run = _dry_run(query.get("dryRun"), "DeleteOptions")
            policy = _first(query, "propagationPolicy") or None
            orphan = _first(query, "orphanDependents")
            if policy is None and orphan:
                policy = "Orphan" if orphan in _TRUE else "Background"
            preconditions = None
            grace_text = _first(query, "gracePeriodSeconds")
            grace = int(grace_text) if grace_text.lstrip("-").isdigit() else None
        api = self.server.api
        if name is None:
            if "deletecollection" not in rt.verbs:
                raise method_not_allowed()
            return 200, api.delete_collection(
                rt.plural,
                namespace,
                label_selector=_first(query, "labelSelector"),
                field_selector=_first(query, "fieldSelector"),
                propagation_policy=policy,
                dry_run=dry_run,
            )
        return 200, api.delete(
            rt.plural,
            namespace,
            name,
            propagation_policy=policy,
            preconditions=preconditions,
            grace_period_seconds=grace,
            dry_run=dry_run,
        )

    def _watch(self, rt: ResourceType, namespace: str | None, query: dict[str, list[str]]) -> None:
        api = self.server.api
        timeout_text = _first(query, "timeoutSeconds")
        timeout = float(timeout_text) if timeout_text else None
        stream = api.watch(
            rt.plural,
            namespace,
            resource_version=_first(query, "resourceVersion"),
            label_selector=_first(query, "labelSelector"),
            field_selector=_first(query, "fieldSelector"),
            allow_bookmarks=_bool(query, "allowWatchBookmarks"),
            timeout_seconds=timeout,
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
                self._chunk(_dumps({"type": event["type"], "object": obj}) + b"\n")
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
