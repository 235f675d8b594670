"""Optional OpenTelemetry tracing: a span per RPC and per Kubernetes call, trace ids in logs.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (and the ``[otel]`` extra installed): then
``configure_from_env`` installs an SDK tracer provider exporting over OTLP, configured by the
standard ``OTEL_*`` variables (service name, headers, sampler). Off, nothing imports
opentelemetry and ``span`` hands back one shared no-op context manager.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from structlog.typing import EventDict, WrappedLogger

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_NAME = "jobscheduler"

_tracer: Any = None
_NO_SPAN: AbstractContextManager[None] = contextlib.nullcontext()


class TracingUnavailable(Exception):
    """Tracing was asked for, but the ``[otel]`` extra is not installed."""


def configure_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """Export spans over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; whether it is."""
    if not environ.get(ENDPOINT_ENV):
        return False
    try:
        from opentelemetry import trace  # noqa: PLC0415
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError as exc:
        raise TracingUnavailable(
            f"{ENDPOINT_ENV} is set but OpenTelemetry is not installed: "
            "pip install 'jobscheduler[otel]'"
        ) from exc
    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    use_tracer(provider.get_tracer("jobscheduler"))
    return True


def use_tracer(tracer: Any) -> None:
    """Trace with ``tracer`` (an opentelemetry Tracer), or stop tracing with None."""
    global _tracer  # noqa: PLW0603 (one process-wide switch, set at start-up)
    _tracer = tracer


def span(
    name: str, attributes: Mapping[str, str | int] | None = None, *, server: bool = False
) -> AbstractContextManager[Any]:
    """A span around a block, current for what the block calls (no-op when tracing is off)."""
    if _tracer is None:
        return _NO_SPAN
    from opentelemetry.trace import SpanKind  # noqa: PLC0415

    kind = SpanKind.SERVER if server else SpanKind.CLIENT
    cm: AbstractContextManager[Any] = _tracer.start_as_current_span(
        name, kind=kind, attributes=dict(attributes or {})
    )
    return cm


def start_detached_span(name: str, attributes: Mapping[str, str | int] | None = None) -> Any:
    """A server span that is ended explicitly (``.end()``), for a stream that outlives the
    call that opened it; None when tracing is off."""
    if _tracer is None:
        return None
    from opentelemetry.trace import SpanKind  # noqa: PLC0415

    return _tracer.start_span(name, kind=SpanKind.SERVER, attributes=dict(attributes or {}))


def add_trace_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current trace id on every line logged inside a span."""
    if _tracer is None:
        return event_dict
    from opentelemetry import trace  # noqa: PLC0415

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
