"""Who is asking: the one place the dashboard decides whether to answer a request.

Without access control (the service's only mode so far, ``AUTH_MODE=none``) everyone may read,
as everyone may call the gRPC API. Access control plugs in here: resolve the bearer token in
``request.headers`` to an identity and check it may read ``request.namespace``, or raise
``errors.PermissionDenied`` (answered 403); the routes then read on that identity's behalf.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ANONYMOUS = "system:anonymous"


@dataclass(frozen=True)
class Identity:
    username: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One dashboard request as authorization sees it."""

    path: str
    headers: Mapping[str, str]
    # The namespace it reads (after defaulting); None for requests about no namespace.
    namespace: str | None


def authorize(request: Request) -> Identity:
    """The caller of ``request``, allowed to make it."""
    return Identity(ANONYMOUS, ("system:unauthenticated",))
