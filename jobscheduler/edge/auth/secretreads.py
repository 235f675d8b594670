"""The Secrets a ScheduleJob request's pod would read, so the caller's ``get`` on each is checked.

A job's pod runs with the namespace's rights, not the caller's: a webhook's ``secret_headers``
become ``secretKeyRef`` env that the kubelet resolves, and the runner sends the value to a URL
the caller chose. Without this check the service would hand anyone who may create jobs every
Secret of the namespace. Each job type names what it reads (``Handler.secrets_read``).
"""

from __future__ import annotations

from functools import cache

from google.protobuf.message import Message

from jobscheduler import kubesyntax
from jobscheduler.edge.auth.reviews import Permission
from jobscheduler.jobtypes.registry import REQUEST_ONEOF, HandlerRegistry, build_registry


@cache
def _registry() -> HandlerRegistry:
    """The server's job types (pure handlers; ``secrets_read`` needs no settings). Built on
    first use, not at import: a program assembling its own registry never needs this one."""
    return build_registry()


def secrets_read(request: Message, namespace: str) -> list[tuple[str, Permission]]:
    """(namespace, ``get`` on the Secret) for each Secret the request's pod would read.

    Names Kubernetes could not hold are left out: validation refuses the request anyway, and
    a review of an empty name would ask about every Secret instead.
    """
    field = request.WhichOneof(REQUEST_ONEOF)
    handler = _registry().by_request_field(field) if field else None
    if handler is None:
        return []
    return [
        (secret_namespace, Permission("get", "", "secrets", name=name))
        for secret_namespace, name in handler.secrets_read(handler.config_of(request), namespace)
        if name and kubesyntax.dns_subdomain(name) is None
    ]
