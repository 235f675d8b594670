"""The simulated kubelet's HTTPS API: the paths kube-apiserver proxies to a node's kubelet.

On a real control plane ``GET pods/{name}/log`` is answered by the API server connecting to
the pod's node (its address and ``daemonEndpoints.kubeletEndpoint.Port``) and streaming the
kubelet's ``/containerLogs/{namespace}/{pod}/{container}``, as KWOK-style tools serve it.
This serves that path (and ``/healthz``) from the simulated kubelet's log store, over TLS with
a self-signed certificate made at start: kube-apiserver does not verify a kubelet's serving
certificate unless it is given ``--kubelet-certificate-authority``.

Answers follow the kubelet's server: 404 for a pod or container it does not run, 422 for
invalid options, 400 with the runtime's text (a container that has not started, no previous
run), otherwise 200 with a chunked body that ``follow`` keeps open until the container ends.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kubesim.clusterapi import ApiError
from kubesim.controllers.logs import PodLogStore
from kubesim.controllers.node import NodeEndpoint
from kubesim.controllers.selfsigned import self_signed_certificate

log = logging.getLogger(__name__)

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class KubeletServing:
    """Where the kubelet API listens and which address the node advertises for it.

    ``port`` 0 takes a free port (the node advertises the one it got); ``advertise_address``
    defaults to ``bind_address`` and must be an address the API server can reach."""

    bind_address: str = "127.0.0.1"
    port: int = 0
    advertise_address: str = ""


class _BadOptions(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _LogOptions:
    follow: bool
    previous: bool
    timestamps: bool
    tail_lines: int | None
    limit_bytes: int | None
    since_seconds: int | None
    since_time: datetime | None


def _parse_options(query: dict[str, list[str]]) -> _LogOptions:
    """``v1.PodLogOptions`` from the query, checked as ``ValidatePodLogOptions`` does."""
    undecodable = _BadOptions(400, '{"message": "Unable to decode query."}')

    def flag(name: str) -> bool:
        value = (query.get(name) or [""])[0]
        if value in _TRUE:
            return True
        if value in _FALSE or value == "":
            return False
        raise undecodable

    def number(name: str) -> int | None:
        value = (query.get(name) or [""])[0]
        if value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise undecodable from None

    tail = (query.get("tail") or [""])[0]  # the kubelet's legacy spelling of tailLines
    if tail:
        query = {**query, "tailLines": [] if tail == "all" else [tail]}
    since_time: datetime | None = None
    if (query.get("sinceTime") or [""])[0]:
        try:
            since_time = datetime.fromisoformat(query["sinceTime"][0].replace("Z", "+00:00"))
        except ValueError:
            raise undecodable from None
    options = _LogOptions(
        follow=flag("follow"),
        previous=flag("previous"),
        timestamps=flag("timestamps"),
        tail_lines=number("tailLines"),
        limit_bytes=number("limitBytes"),
        since_seconds=number("sinceSeconds"),
        since_time=since_time,
    )
    invalid = (
        (options.tail_lines is not None and options.tail_lines < 0)
        or (options.limit_bytes is not None and options.limit_bytes < 1)
        or (options.since_seconds is not None and options.since_seconds < 1)
        or (options.since_seconds is not None and options.since_time is not None)
    )
    if invalid:
        raise _BadOptions(422, '{"message": "Invalid request."}')
    return options


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # the name http.server dispatches to
        url = urlsplit(self.path)
        parts = [unquote(part) for part in url.path.split("/")[1:]]
        if parts == ["healthz"]:
            self._text(200, "ok")
        elif len(parts) == 4 and parts[0] == "containerLogs" and all(parts[1:]):
            self._container_logs(parts[1], parts[2], parts[3], parse_qs(url.query))
        else:
            self._text(404, "404 page not found")

    def _container_logs(
        self, namespace: str, pod: str, container: str, query: dict[str, list[str]]
    ) -> None:
        store = self.server.logs
        try:
            options = _parse_options(query)
        except _BadOptions as bad:
            self._text(bad.code, bad.message)
            return
        containers = store.containers_of(namespace, pod)
        if containers is None:
            self._text(404, f'pod "{pod}" does not exist')
            return
        if container not in containers:
            self._text(404, f'container "{container}" not found in pod "{pod}"')
            return
        try:
            chunks = store.read(
                namespace,
                pod,
                container,
                follow=options.follow,
                tail_lines=options.tail_lines,
                since_seconds=options.since_seconds,
                limit_bytes=options.limit_bytes,
                timestamps=options.timestamps,
                since_time=options.since_time,
                previous=options.previous,
            )
        except ApiError as error:
            self._text(400, error.message)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in chunks:
                data = chunk.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True  # the API server (its client) went away

    def _text(self, code: int, text: str) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("kubelet API: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    logs: PodLogStore


class _Server6(_Server):
    address_family = socket.AF_INET6


def _tls_context(hosts: list[str]) -> ssl.SSLContext:
    certificate, key = self_signed_certificate(hosts)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="jobscheduler-kubelet-") as directory:
        cert_file, key_file = Path(directory, "tls.crt"), Path(directory, "tls.key")
        cert_file.write_bytes(certificate)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key)
        context.load_cert_chain(cert_file, key_file)
    return context


class KubeletServer:
    """Listens from construction (so ``endpoint`` is known before the node registers);
    ``start`` serves, ``stop`` closes."""

    def __init__(self, logs: PodLogStore, serving: KubeletServing) -> None:
        advertised = serving.advertise_address or serving.bind_address
        server_type = _Server6 if ":" in serving.bind_address else _Server
        self._server = server_type((serving.bind_address, serving.port), _Handler)
        self._server.logs = logs
        context = _tls_context(sorted({advertised, serving.bind_address}))
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.endpoint = NodeEndpoint(advertised, int(self._server.server_address[1]))
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="simulated-kubelet-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
        with contextlib.suppress(OSError):
            self._server.socket.shutdown(socket.SHUT_RDWR)
        self._server.server_close()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
