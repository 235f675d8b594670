"""Access control assembled from Settings: the guard, TLS credentials, the probe gate.

AUTH_MODE=none serves anyone who can connect, so it is refused on anything but loopback
unless INSECURE_ALLOW_UNAUTHENTICATED says it is meant (a warning at start and on /readyz).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health
from grpc_reflection.v1alpha import reflection

from jobscheduler import errors
from jobscheduler.config import AuthMode, ConfigError, Settings
from jobscheduler.edge.auth.guard import AccessGuard
from jobscheduler.edge.auth.reviews import Reviewer
from jobscheduler.edge.auth.tls import ReloadingCredentials
from jobscheduler.logs import get_logger

log = get_logger("jobscheduler.edge.auth")

INSECURE_WARNING = (
    "AUTH_MODE=none on a non-loopback address: anyone who can reach the port runs jobs "
    "with the service's Kubernetes rights"
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_HEALTH_PREFIX = f"/{health.SERVICE_NAME}/"
_REFLECTION_PREFIX = f"/{reflection.SERVICE_NAME}/"


def is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")


@dataclass
class Access:
    guard: AccessGuard
    credentials: ReloadingCredentials | None
    interceptors: list[grpc.ServerInterceptor]
    warning: str  # for /readyz and the start log; empty when nothing to warn about


def build_access(settings: Settings, reviewer: Reviewer | None) -> Access:
    """ConfigError for a combination that would serve unauthenticated by accident."""
    warning = ""
    if settings.auth_mode is AuthMode.NONE and not is_loopback(settings.grpc_host):
        if not settings.insecure_allow_unauthenticated:
            raise ConfigError(
                f"AUTH_MODE=none is allowed only on loopback (GRPC_HOST is "
                f"{settings.grpc_host}); set INSECURE_ALLOW_UNAUTHENTICATED=true "
                "(serve --insecure-allow-unauthenticated) if you mean it"
            )
        warning = INSECURE_WARNING
        log.warning(warning, grpc_host=settings.grpc_host)
    if bool(settings.tls_cert_file) != bool(settings.tls_key_file):
        raise ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together")
    if settings.tls_client_ca_file and not settings.tls_cert_file:
        raise ConfigError("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE")
    credentials = None
    if settings.tls_cert_file and settings.tls_key_file:
        try:
            credentials = ReloadingCredentials(
                settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
            )
        except OSError as exc:
            raise ConfigError(f"cannot read the TLS files: {exc}") from None
    guard = AccessGuard(settings, reviewer)
    gated = []  # the probes that are not exempt from credentials
    if not settings.auth_exempt_health:
        gated.append(_HEALTH_PREFIX)
    if not settings.auth_exempt_reflection:
        gated.append(_REFLECTION_PREFIX)
    interceptors: list[grpc.ServerInterceptor] = []
    if gated and guard.authenticating:
        interceptors.append(ProbeGate(guard, tuple(gated)))
    return Access(guard, credentials, interceptors, warning)


Behavior = Callable[..., object]


class ProbeGate(grpc.ServerInterceptor):  # type: ignore[misc]
    """Health and reflection, when configured not to be exempt: any authenticated caller."""

    def __init__(self, guard: AccessGuard, prefixes: tuple[str, ...]) -> None:
        self._guard = guard
        self._prefixes = prefixes

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        if handler is None or not str(details.method).startswith(self._prefixes):
            return handler
        for attribute, factory in (
            ("unary_unary", grpc.unary_unary_rpc_method_handler),
            ("unary_stream", grpc.unary_stream_rpc_method_handler),
            ("stream_unary", grpc.stream_unary_rpc_method_handler),
            ("stream_stream", grpc.stream_stream_rpc_method_handler),
        ):
            behavior = getattr(handler, attribute)
            if behavior is not None:
                return factory(
                    self._checked(behavior),
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer,
                )
        return handler

    def _checked(self, behavior: Behavior) -> Behavior:
        def checked(request: object, context: grpc.ServicerContext) -> object:
            try:
                self._guard.identify(context)
            except errors.JobSchedulerError as error:
                context.abort(grpc.StatusCode[error.code], error.message)
            return behavior(request, context)

        return checked
