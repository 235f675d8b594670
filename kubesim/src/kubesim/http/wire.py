"""HTTP/1.1 plumbing for the embedded API server: a lean request parser and the ways an
answer goes out (whole JSON bodies, chunked streams), on keep-alive connections."""

from __future__ import annotations

import json
import os
import select
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

import orjson

from kubesim.clusterapi import JSON, ApiError

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as kube-apiserver writes it. orjson encodes a page of 500 Jobs
    about 6x faster than ``json``, which was most of what serving a client's first list of
    100k Jobs cost; what orjson refuses (an integer beyond 64 bits) goes to ``json``."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _encoder.encode(value).encode()


def warning_header(warnings: list[str]) -> str:
    """RFC 7234 warn-text: quoted, with inner quotes escaped, as kube-apiserver sends it."""
    return ", ".join(
        '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings
    )


class _Headers(dict[str, str]):
    """Request headers by lower-cased name."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


_MAX_LINE = 65536
_MAX_HEADERS = 200


class WireHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jobscheduler-embedded"
    sys_version = ""
    # Set by the server: once set, open streams end.
    closing: threading.Event
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
            self._send_error(
                ApiError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    {},
                )
            )
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
    if TYPE_CHECKING:
        # The routing subclass (http.py) answers every method.
        def _dispatch(self, method: str) -> None: ...

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
        self._send(code, dumps(value), headers=headers)

    def _send_error(self, error: ApiError) -> None:
        status = error.to_status()
        headers = dict(error.headers)
        retry_after = (status.get("details") or {}).get("retryAfterSeconds")
        if retry_after and not any(key.lower() == "retry-after" for key in headers):
            # kube-apiserver mirrors details.retryAfterSeconds in the header (reference 96).
            headers["Retry-After"] = str(retry_after)
        self._send_json(error.code, status, headers)

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
        if self.closing.is_set():
            return False
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable and isinstance(self.connection, ssl.SSLSocket):
                # TLS sockets cannot peek: look at the TCP stream beneath (b"" once closed).
                with socket.socket(fileno=os.dup(self.connection.fileno())) as raw:
                    return bool(raw.recv(1, socket.MSG_PEEK))
            if readable:
                return bool(self.connection.recv(1, socket.MSG_PEEK))
        except OSError:
            return False
        return True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""
