"""The seam between the RPC interceptor and access control: one call per RPC.

``admit`` asks the server's guard (``edge.auth.guard.AccessGuard``) to let the call in; the
interceptor then serves the admitted request, passes each answer through ``outgoing`` and, at
the call's end, runs what the admission registered (audit line, stream slot release). Without
a guard every call is admitted as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import grpc
from google.protobuf.message import Message

from jobscheduler.edge.auth.guard import Admission
from jobscheduler.edge.auth.identity import UNAUTHENTICATED_DEVELOPER


class Guard(Protocol):
    def admit(
        self,
        rpc: str,
        request: Message,
        context: grpc.ServicerContext,
        request_id: str,
        *,
        streaming: bool,
    ) -> Admission: ...


class _CallLike(Protocol):
    method_name: str
    request_id: str
    context: grpc.ServicerContext
    finishers: list[Callable[[str, str], None]]


def _unchanged(message: Message) -> Message:
    return message


def admit(guard: Guard | None, call: _CallLike, request: Message, *, streaming: bool) -> Admission:
    if guard is None:
        return Admission(request, UNAUTHENTICATED_DEVELOPER, _unchanged)
    admission = guard.admit(
        call.method_name, request, call.context, call.request_id, streaming=streaming
    )
    call.finishers.append(admission.finish)
    return admission
