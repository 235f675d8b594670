"""Who is asking, and whether they may: the dashboard's reads admitted as the gRPC API's are.

The server's own ``edge.auth.guard.AccessGuard`` (passed in as a ``Gate``) does the work, so
a page request meets the same TokenReviews and SubjectAccessReviews, the same caches, rate
limit and stream cap, the same RBAC mapping per RPC and the same audit lines as a gRPC call:
``/api/jobs`` is ListJobs (``list jobs.batch`` in the namespace), a job page GetJobStatus
and WatchJob, its logs GetJobLogs (``get pods/log``), its events ``list events``. With
``AUTH_MODE=none`` the gate admits everyone, as the gRPC API does. Without a gate (a
dashboard built alone, in tests) every request is admitted as it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from google.protobuf.message import Message

if TYPE_CHECKING:  # the gate is handed in: the dashboard never builds one
    from jobscheduler.edge.auth.identity import Identity

M = TypeVar("M", bound=Message)


class Admitted(Protocol):
    """An admitted read (``edge.auth.guard.Admission``): the request to serve, what to do with
    its answer (page tokens bound to the caller) and at its end (stream slot released)."""

    @property
    def request(self) -> Message: ...
    def outgoing(self, message: Message) -> Message: ...
    def finish(self, code: str, job_id: str) -> None: ...


class Gate(Protocol):
    """What the dashboard needs of the server's access guard."""

    @property
    def authenticating(self) -> bool: ...
    def identify_http(
        self, authorization: str | None, source: str, request_id: str, path: str
    ) -> Identity: ...
    def admit_http(
        self,
        rpc: str,
        request: Message,
        identity: Identity,
        source: str,
        request_id: str,
        *,
        streaming: bool = False,
        also: tuple[str, ...] = (),
    ) -> Admitted: ...
    def permits(self, rpc: str, identity: Identity, request: Message) -> bool: ...


@dataclass
class _AsItCame:
    request: Message

    def outgoing(self, message: Message) -> Message:
        return message

    def finish(self, code: str, job_id: str) -> None:
        """Nothing registered: nobody was counted."""


@dataclass
class Caller:
    """One dashboard request's caller: each read it makes is admitted by the gate."""

    gate: Gate | None
    identity: Identity | None
    source: str
    request_id: str

    def admit(
        self, rpc: str, request: M, *, streaming: bool = False, also: tuple[str, ...] = ()
    ) -> tuple[M, Admitted]:
        """The request to serve (page token and caller fixed as for ``rpc``) and its admission;
        or the refusal ``rpc`` would meet (``errors.PermissionDenied``, ``errors.NotFound``)."""
        if self.gate is None or self.identity is None:
            return request, _AsItCame(request)
        admitted = self.gate.admit_http(
            rpc,
            request,
            self.identity,
            self.source,
            self.request_id,
            streaming=streaming,
            also=also,
        )
        served = admitted.request
        if not isinstance(served, type(request)):  # the guard serves a copy of the same type
            raise TypeError(f"{rpc} was admitted as a {type(served).__name__}")
        return served, admitted

    def may(self, rpc: str, request: Message) -> bool:
        if self.gate is None or self.identity is None:
            return True
        return self.gate.permits(rpc, self.identity, request)


def identify(
    gate: Gate | None, authorization: str | None, source: str, request_id: str, path: str
) -> Caller:
    """The caller of an ``/api/`` request, or ``errors.Unauthenticated`` (answered 401)."""
    if gate is None:
        return Caller(None, None, source, request_id)
    identity = gate.identify_http(authorization, source, request_id, path)
    return Caller(gate, identity, source, request_id)
