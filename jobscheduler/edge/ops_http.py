"""The operations HTTP endpoint on METRICS_PORT: ``/metrics``, ``/healthz``, ``/readyz``.

``/healthz`` answers while the process can serve HTTP at all (liveness); ``/readyz`` only while
the gRPC server is up, not draining, and Kubernetes is reachable (readiness).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from jobscheduler import metrics
from jobscheduler.version import get_version_info


class _DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self) -> None:
        # Accept IPv4 too on "::", as the gRPC server does on "[::]".
        with contextlib.suppress(OSError):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class _IPv4Server(ThreadingHTTPServer):
    daemon_threads = True


def bind_http_server(
    host: str, port: int, handler: type[BaseHTTPRequestHandler]
) -> ThreadingHTTPServer:
    """A threading HTTP server bound to ``host`` ("[::]" also takes IPv4) and ``port``."""
    bind_host = host.strip("[]")
    if ":" in bind_host:
        try:
            return _DualStackServer((bind_host, port), handler)
        except OSError:
            # No IPv6 on this host: all IPv4 interfaces instead.
            return _IPv4Server(("0.0.0.0", port), handler)
    return _IPv4Server((bind_host, port), handler)


class BackgroundHttpServer:
    """An HTTP server answering on its own thread between ``start`` and ``stop``."""

    def __init__(
        self, host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str
    ) -> None:
        self._httpd = bind_http_server(host, port, handler)
        # A short poll interval keeps shutdown() quick; the loop itself is cheap.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=name, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class OpsHttpServer(BackgroundHttpServer):
    def __init__(
        self, host: str, port: int, ready: Callable[[], bool], *, warning: str = ""
    ) -> None:
        info = get_version_info()
        metrics.record_build_info(info.version, info.commit_label, info.python_version)
        super().__init__(host, port, _handler_class(ready, warning), "ops-http")


def _handler_class(ready: Callable[[], bool], warning: str) -> type[BaseHTTPRequestHandler]:
    # A configuration operators must not miss (AUTH_MODE=none exposed) is repeated on /readyz.
    note = f"warning: {warning}\n".encode() if warning else b""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._reply(200, b"ok\n")
            elif path == "/readyz":
                if ready():
                    self._reply(200, b"ready\n" + note)
                else:
                    self._reply(503, b"not ready\n" + note)
            else:
                self._reply(404, b"not found\n")

        def _reply(self, code: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Probes every few seconds would flood the log; stay quiet."""

    return Handler
