"""Loopback servers the probe and webhook tests reach: HTTP (scripted answers), TCP, gRPC."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from jobscheduler.egress import EgressPolicy

# Tests bind only loopback, so positive paths must allow it explicitly.
LOOPBACK_POLICY = EgressPolicy.parse("127.0.0.1,probe.test,hooks.test", "127.0.0.0/8")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """Answers by path: (status, headers, body); a list is consumed one answer per request."""

    routes: dict[str, list[tuple[int, dict[str, str], bytes]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def answer(self, path: str, *answers: tuple[int, dict[str, str], bytes]) -> None:
        self.routes[path] = list(answers)

    def next_for(self, path: str) -> tuple[int, dict[str, str], bytes]:
        answers = self.routes.get(path.split("?", 1)[0])
        if not answers:
            return 404, {}, b"no such path"
        return answers.pop(0) if len(answers) > 1 else answers[0]


@contextmanager
def http_server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            status, headers, payload = script.next_for(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_OPTIONS = do_PATCH = _serve  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def grpc_health_server() -> Iterator[tuple[str, health.HealthServicer]]:
    thread_pool = futures.ThreadPoolExecutor(max_workers=2)
    server = grpc.server(thread_pool)
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(grace=None).wait(10)
        thread_pool.shutdown(wait=False)
