"""The drain gate: which calls a stopping server still serves, and when it may stop.

gRPC's own ``server.stop(grace)`` answers CANCELLED to calls it has received but not yet handed to
a worker (queued behind busy workers, or arriving on open connections during the grace period).
No client, retry policy or Envoy retries CANCELLED, so those calls are lost without a trace. The
gate keeps gRPC running while the server drains and decides per call instead:

* a call whose handler started before draining began is admitted and runs to the end;
* a call whose handler starts after (queued or new) gets UNAVAILABLE at once, which clients and
  proxies retry on another replica;
* the server hands over to gRPC's shutdown only once no admitted call is left and calls have
  stopped arriving for ``QUIET_SECONDS`` (bounded by the grace period), so that nothing sits in
  gRPC's queue when it shuts down.

Health checks pass the gate: a probe during the drain must read NOT_SERVING, not an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from jobscheduler.errors import Unavailable

SHUTTING_DOWN = "server is shutting down; retry on another replica"
# A retrying client backs off (gRPC's default policy: 0.1 to 1 s, Envoy: 25 ms doubling); a
# second without a call means those that saw UNAVAILABLE have gone elsewhere.
QUIET_SECONDS = 1.0
_HEALTH_PREFIX = "/grpc.health.v1.Health/"


class DrainGate(grpc.ServerInterceptor):  # type: ignore[misc]
    """Counts admitted calls; after ``begin_draining`` refuses new ones with UNAVAILABLE.

    ``domain_prefix``: methods whose errors the RPC interceptor translates (they get our
    ``Unavailable`` error, logged and counted like any other); other services get a plain abort.
    """

    def __init__(self, domain_prefix: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._domain_prefix = domain_prefix
        self._clock = clock
        self._changed = threading.Condition()
        self._draining = False
        self._in_flight = 0
        self._last_refusal = 0.0

    @property
    def in_flight(self) -> int:
        with self._changed:
            return self._in_flight

    def begin_draining(self) -> None:
        with self._changed:
            self._draining = True
            self._last_refusal = self._clock()
            self._changed.notify_all()

    def wait_until_drained(self, timeout: float) -> bool:
        """Until no admitted call is left and none arrived for QUIET_SECONDS; False on timeout."""
        deadline = self._clock() + timeout
        with self._changed:
            while True:
                now = self._clock()
                quiet_until = self._last_refusal + QUIET_SECONDS
                if self._in_flight == 0 and now >= quiet_until:
                    return True
                if now >= deadline:
                    return False
                wake = deadline if self._in_flight else min(deadline, quiet_until)
                self._changed.wait(max(0.01, wake - now))

    def _admit(self) -> bool:
        with self._changed:
            if self._draining:
                self._last_refusal = self._clock()
                return False
            self._in_flight += 1
            return True

    def _release(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def _refuse(self, method: str, context: Any) -> None:
        if method.startswith(self._domain_prefix):
            raise Unavailable(SHUTTING_DOWN)
        context.abort(grpc.StatusCode.UNAVAILABLE, SHUTTING_DOWN)

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(_HEALTH_PREFIX):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._gate_unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._gate_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream is not None:  # server reflection
            return grpc.stream_stream_rpc_method_handler(
                self._gate_stream(method, handler.stream_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _gate_unary(self, method: str, behavior: Callable[[Any, Any], Any]) -> Any:
        def unary(request: Any, context: Any) -> Any:
            if not self._admit():
                self._refuse(method, context)
            try:
                return behavior(request, context)
            finally:
                self._release()

        return unary

    def _gate_stream(self, method: str, behavior: Callable[[Any, Any], Iterator[Any]]) -> Any:
        def stream(request: Any, context: Any) -> Iterator[Any]:
            if not self._admit():
                self._refuse(method, context)
            try:
                yield from behavior(request, context)
            finally:
                self._release()

        return stream
