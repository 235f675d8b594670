"""One HTTP request through the egress guard, connected to the address the guard checked.

``http.client`` (stdlib: the runners ship in the job image with no extra dependency) is told
the host name, so the Host header and TLS SNI/certificate check use the name, while the socket
is opened to the pinned address: a second DNS lookup, which could answer differently, never
happens. Redirects are followed only when asked, each hop checked like the first.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from jobscheduler.egress import (
    MAX_REDIRECTS,
    EgressDenied,
    EgressPolicy,
    IPAddress,
    Resolver,
    Target,
)

HTTP_SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes  # at most MAX_BODY_BYTES
    url: str  # after any redirects
    redirects: int = 0


@dataclass(frozen=True)
class HttpRequest:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout_seconds: float = 10.0
    follow_redirects: bool = False


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: IPAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._pinned = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._pinned, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, target: Target, address: IPAddress, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._pinned = str(address)
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._pinned, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def send(
    request: HttpRequest,
    policy: EgressPolicy,
    *,
    resolve: Resolver | None = None,
    tls: ssl.SSLContext | None = None,
) -> HttpResponse:
    """Send ``request``; EgressDenied before any connection the policy does not allow,
    OSError/http.client.HTTPException for network trouble."""
    url, method, body = request.url, request.method, request.body
    for redirects in range(MAX_REDIRECTS + 1):
        target = policy.check_url(url, HTTP_SCHEMES)
        address = policy.connect_address(target, resolve)
        response = _send_once(target, address, method, request, body=body, tls=tls)
        location = response.headers.get("location")
        if not (request.follow_redirects and response.status in REDIRECT_STATUSES and location):
            return HttpResponse(
                response.status,
                response.reason,
                response.headers,
                response.body,
                target.url,
                redirects,
            )
        url = urljoin(target.url, location)
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = "GET", None  # what browsers and curl do
    raise EgressDenied(f"more than {MAX_REDIRECTS} redirects")


def _send_once(
    target: Target,
    address: IPAddress,
    method: str,
    request: HttpRequest,
    *,
    body: bytes | None,
    tls: ssl.SSLContext | None,
) -> HttpResponse:
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        context = tls or ssl.create_default_context()
        connection = _PinnedHTTPSConnection(target, address, request.timeout_seconds, context)
    else:
        connection = _PinnedHTTPConnection(target, address, request.timeout_seconds)
    try:
        headers = {"User-Agent": "jobscheduler", "Connection": "close", **request.headers}
        path = target.path.split("#", 1)[0] or "/"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read(MAX_BODY_BYTES) if method != "HEAD" else b""
        return HttpResponse(
            answer.status,
            answer.reason,
            {k.lower(): v for k, v in answer.getheaders()},
            data,
            target.url,
        )
    finally:
        connection.close()
