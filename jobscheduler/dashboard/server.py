"""The dashboard's HTTP server: static pages, JSON under ``/api/``, live updates as SSE.

Routes (GET only; everything else is 405):

=====================================  ==================================================
``/``, ``/job``, ``/schedules``        the pages (``static/*.html``)
``/static/<file>``                     their scripts and styles
``/api/job-types``                     ListJobTypes
``/api/jobs``                          ListJobs with the filters of ``dashboard.queries``
``/api/watch``                         WatchJobs with the same filters, as server-sent events
``/api/jobs/<ns>/<id>``                GetJobStatus
``/api/jobs/<ns>/<id>/events``         the Kubernetes Events about the job and its pods
``/api/jobs/<ns>/<id>/watch``          WatchJob, as server-sent events
``/api/jobs/<ns>/<id>/logs``           GetJobLogs (``follow=1``, ``tail_lines``), as SSE
``/api/schedules``                     ListSchedules, each with its next and recent runs
=====================================  ==================================================

Every response carries a Content-Security-Policy of ``default-src 'self'`` (the pages have no
inline script or style and build the DOM with ``textContent``, never ``innerHTML``). Errors
are JSON ``{"code", "message", "violations"}`` with the HTTP status of the gRPC code; an
unexpected one is logged and answered 500 with a fixed message, as the gRPC edge does.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from google.protobuf.message import Message

from jobscheduler import errors, requestctx
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.dashboard import queries
from jobscheduler.dashboard.auth import Admitted, Caller, Gate, identify
from jobscheduler.dashboard.backend import DashboardBackend
from jobscheduler.edge.ops_http import BackgroundHttpServer
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.dashboard")
JSON = dict[str, Any]

CSP = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "
    "object-src 'none'"
)
# A unary read gets as long as a gRPC client would typically allow.
REQUEST_DEADLINE_SECONDS = 10.0
RECENT_RUNS = 5
_RECENT_RUNS_SCAN = 100
_PAGES = {"/": "index.html", "/job": "job.html", "/schedules": "schedules.html"}
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
_HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "FAILED_PRECONDITION": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    "RESOURCE_EXHAUSTED": 429,
}
INTERNAL_MESSAGE = "internal error; the server log has the details"


def load_static() -> dict[str, bytes]:
    """Every file shipped in ``static/``, by name: the only files the server can send."""
    folder = resources.files("jobscheduler.dashboard") / "static"
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and "." + entry.name.rsplit(".", 1)[-1] in _CONTENT_TYPES
    }


class DashboardServer(BackgroundHttpServer):
    """Serves the dashboard on ``host:port`` (0: a free port, see ``port``)."""

    def __init__(
        self,
        backend: DashboardBackend,
        host: str,
        port: int,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        gate: Gate | None = None,
    ) -> None:
        """``gate``: the gRPC server's access guard, so pages are admitted as RPCs are."""
        self._stopping = threading.Event()
        routes = _Routes(backend, clock, load_static(), self._stopping, gate)
        super().__init__(host, port, _handler_class(routes), "dashboard-http")

    def stop(self) -> None:
        """Stop accepting; open streams end at their next look at ``is_active``."""
        self._stopping.set()
        super().stop()


class _Reply(Exception):
    """A finished answer raised out of a route (errors, static files)."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__(status)
        self.status, self.body, self.content_type = status, body, content_type


Stream = Generator[tuple[str, JSON], None, None]


class _Routes:
    def __init__(
        self,
        backend: DashboardBackend,
        clock: Callable[[], datetime],
        static: dict[str, bytes],
        stopping: threading.Event,
        gate: Gate | None,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.static = static
        self.stopping = stopping
        self.gate = gate

    def resolve(
        self,
        path: str,
        query: queries.Query,
        is_active: Callable[[], bool],
        caller: Callable[[], Caller],
    ) -> JSON | Stream:
        """The JSON answer or the event stream for ``path``; raises ``_Reply`` for pages."""
        if path in _PAGES or path.startswith("/static/"):
            name = _PAGES.get(path) or path.removeprefix("/static/")
            body = self.static.get(name)
            if body is None:
                raise errors.NotFound(f"no such file: {name}")
            raise _Reply(200, body, _CONTENT_TYPES["." + name.rsplit(".", 1)[-1]])
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[:1] != ["api"]:
            raise errors.NotFound("no such page")
        # Credentials first (401 before any 400), then each read admitted as its RPC.
        return self._api(parts[1:], query, is_active, caller())

    def _api(
        self,
        parts: list[str],
        query: queries.Query,
        is_active: Callable[[], bool],
        caller: Caller,
    ) -> JSON | Stream:
        backend = self.backend
        if parts[:1] == ["jobs"] and len(parts) >= 3 and parts[1] == "-":
            parts[1] = ""  # "-": the server's default namespace
        match parts:
            case ["job-types"]:
                types, admitted = caller.admit("ListJobTypes", pb.ListJobTypesRequest())
                return _answer(admitted, backend.list_job_types(types))
            case ["jobs"]:
                jobs, admitted = caller.admit("ListJobs", queries.list_jobs_request(query))
                return _answer(admitted, backend.list_jobs(jobs))
            case ["watch"]:
                wanted = queries.watch_jobs_request(query)
                many, admitted = caller.admit("WatchJobs", wanted, streaming=True)
                return _job_stream(admitted, lambda: backend.watch_jobs(many, is_active))
            case ["schedules"]:
                return self._schedules(query, caller)
            case ["jobs", namespace, job_id]:
                req = pb.GetJobStatusRequest(job_id=job_id, namespace=namespace)
                status, admitted = caller.admit("GetJobStatus", req)
                return _answer(admitted, backend.get_job_status(status))
            case ["jobs", namespace, job_id, "events"]:
                # The job first (not found unless the caller may get it), then its events; the
                # kinds the caller may not get stay hidden from the read.
                job = pb.GetJobStatusRequest(job_id=job_id, namespace=namespace)
                caller.admit("GetJobStatus", job, also=("JobEvents",))
                return {"events": backend.job_events(job_id, namespace)}
            case ["jobs", namespace, job_id, "watch"]:
                req_one = pb.WatchJobRequest(job_id=job_id, namespace=namespace)
                one, admitted = caller.admit("WatchJob", req_one, streaming=True)
                # WatchJob ends when the job reaches a final state: "end" tells the page so.
                return _job_stream(admitted, lambda: backend.watch_job(one, is_active), end=True)
            case ["jobs", namespace, job_id, "logs"]:
                req_logs = queries.logs_request(job_id, namespace, query)
                logs, admitted = caller.admit("GetJobLogs", req_logs, streaming=True)
                return _log_stream(admitted, lambda: backend.get_job_logs(logs, is_active))
        raise errors.NotFound("no such API path")

    def _schedules(self, query: queries.Query, caller: Caller) -> JSON:
        namespace = queries.first(query, "namespace")
        token = queries.first(query, "page_token")
        wanted, listed = caller.admit(
            "ListSchedules", pb.ListSchedulesRequest(namespace=namespace, page_token=token)
        )
        page = self.backend.list_schedules(wanted)
        now = self.clock()
        answer: list[JSON] = []
        for schedule in page.schedules:
            entry = queries.to_json(schedule)
            entry["next_runs"] = queries.next_runs(
                schedule.schedule.cron, schedule.schedule.time_zone, now
            )
            runs_request = pb.ListJobsRequest(
                namespace=schedule.namespace,
                schedule_id=schedule.job_id,
                page_size=_RECENT_RUNS_SCAN,
            )
            # Runs are jobs: shown only to a caller who may list jobs there, as ListJobs would.
            may_list = caller.may("ListJobs", runs_request)
            runs = self.backend.list_jobs(runs_request).jobs if may_list else []
            newest = sorted(runs, key=lambda run: run.created_at, reverse=True)[:RECENT_RUNS]
            entry["recent_runs"] = [queries.to_json(run) for run in newest]
            answer.append(entry)
        bound = listed.outgoing(page)  # its page token, bound to this caller
        return {"schedules": answer, "next_page_token": getattr(bound, "next_page_token", "")}


def _answer(admitted: Admitted, response: Message) -> JSON:
    return queries.to_json(admitted.outgoing(response))


def _opened(admitted: Admitted, open_stream: Callable[[], Iterator[Message]]) -> Iterator[Message]:
    """The service's stream, or its refusal (raised before the page's stream begins, so it is
    answered as an HTTP error) with the caller's stream slot given back."""
    try:
        return open_stream()
    except BaseException:
        admitted.finish("REFUSED", "")
        raise


def _job_stream(
    admitted: Admitted, open_stream: Callable[[], Iterator[Message]], *, end: bool = False
) -> Stream:
    events = _opened(admitted, open_stream)
    return _events("job", events, admitted, end=end)


def _log_stream(admitted: Admitted, open_stream: Callable[[], Iterator[Message]]) -> Stream:
    return _events("log", _opened(admitted, open_stream), admitted, end=True)


def _events(name: str, messages: Iterator[Message], admitted: Admitted, *, end: bool) -> Stream:
    try:
        for message in messages:
            yield name, queries.to_json(message)
    finally:
        _close(messages)  # releases the service's watch as soon as the page goes
        admitted.finish("OK", "")  # and the caller's stream slot
    if end:
        yield "end", {}


def _close(iterator: Iterator[Message]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def error_body(error: errors.JobSchedulerError) -> tuple[int, JSON]:
    """The HTTP status and JSON body for a domain error (fixed message for INTERNAL)."""
    status = _HTTP_STATUS.get(error.code, 500)
    body: JSON = {
        "code": error.code if status != 500 else "INTERNAL",
        "message": error.message if status != 500 else INTERNAL_MESSAGE,
    }
    if isinstance(error, errors.InvalidArgument):
        body["violations"] = [
            {"field": v.field, "description": v.description} for v in error.violations
        ]
    return status, body


def _peer_gone(connection: socket.socket) -> bool:
    """Whether the browser closed the connection (it sends nothing else on an SSE request)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _handler_class(routes: _Routes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "jobscheduler-dashboard"
        sys_version = ""

        def do_GET(self) -> None:
            started = time.perf_counter()
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            request_id = (
                self.headers.get("x-request-id", "")[:128] or f"req-{uuid.uuid4().hex[:16]}"
            )
            requestctx.request_id.set(request_id)
            host, port = self.client_address[:2]
            source = f"ipv{6 if ':' in host else 4}:{host}:{port}"
            requestctx.deadline.set(time.monotonic() + REQUEST_DEADLINE_SECONDS)
            status = 200
            try:
                answer = routes.resolve(
                    url.path,
                    query,
                    self._is_active,
                    lambda: identify(
                        routes.gate,
                        self.headers.get("Authorization"),
                        source,
                        request_id,
                        url.path,
                    ),
                )
                if isinstance(answer, dict):
                    self._send(200, json.dumps(answer).encode(), "application/json")
                else:
                    self._stream(answer)
            except _Reply as reply:
                status = reply.status
                self._send(reply.status, reply.body, reply.content_type)
            except errors.JobSchedulerError as error:
                status, body = error_body(error)
                if status == 500:
                    log.error("dashboard request failed", path=url.path, exc_info=error)
                # 401 says how to authenticate (RFC 6750); the page asks for a token then.
                extra = {"www_authenticate": 'Bearer realm="jobscheduler"'} if status == 401 else {}
                self._send(status, json.dumps(body).encode(), "application/json", **extra)
            except (BrokenPipeError, ConnectionResetError):
                status = 499  # the browser went away mid-answer
            except Exception as error:
                status = 500
                log.error("dashboard request failed", path=url.path, exc_info=error)
                body = {"code": "INTERNAL", "message": INTERNAL_MESSAGE}
                with contextlib.suppress(OSError):
                    self._send(500, json.dumps(body).encode(), "application/json")
            finally:
                log.debug(
                    "dashboard request",
                    path=url.path,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )
                requestctx.deadline.set(None)

        def do_HEAD(self) -> None:
            self._method_not_allowed()

        def do_POST(self) -> None:
            self._method_not_allowed()

        def do_PUT(self) -> None:
            self._method_not_allowed()

        def do_DELETE(self) -> None:
            self._method_not_allowed()

        def do_PATCH(self) -> None:
            self._method_not_allowed()

        def _method_not_allowed(self) -> None:
            body = {"code": "METHOD_NOT_ALLOWED", "message": "the dashboard is read-only"}
            self._send(405, json.dumps(body).encode(), "application/json", allow="GET")

        def _is_active(self) -> bool:
            return not routes.stopping.is_set() and not _peer_gone(self.connection)

        def _headers(self, status: int, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")

        def _send(self, status: int, body: bytes, content_type: str, **extra: str) -> None:
            self._headers(status, content_type)
            for name, value in extra.items():
                self.send_header(name.replace("_", "-").title(), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, events: Stream) -> None:
            # Refusals (a bad filter, an unknown job) were raised before the stream began and
            # answered as HTTP errors; what fails later ends the stream with a "failure" event.
            requestctx.deadline.set(None)  # as long as the page is open; the service bounds logs
            self._headers(200, "text/event-stream; charset=utf-8")
            self.send_header("X-Accel-Buffering", "no")  # proxies must not buffer it
            self.end_headers()
            self.wfile.write(b"retry: 3000\n\n")
            self.wfile.flush()
            try:
                for name, data in events:
                    self._event(name, data)
            except errors.JobSchedulerError as error:
                status, body = error_body(error)
                if status == 500:
                    log.error("dashboard stream failed", path=self.path, exc_info=error)
                self._event("failure", body)
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as error:
                log.error("dashboard stream failed", path=self.path, exc_info=error)
                self._event("failure", {"code": "INTERNAL", "message": INTERNAL_MESSAGE})
            finally:
                events.close()

        def _event(self, name: str, data: JSON) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            """Requests are logged by ``do_GET`` through structlog."""

    return Handler
