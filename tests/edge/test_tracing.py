"""Optional tracing: off by default and importing nothing; on, a span per RPC and per
Kubernetes call, with the trace id in the RPC's log line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler import tracing
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient

from .live import live_server


def test_tracing_is_off_and_opentelemetry_unimported_without_an_endpoint() -> None:
    code = (
        "import sys; from jobscheduler import tracing;"
        "import jobscheduler.edge.server, jobscheduler.service;"
        "assert tracing.configure_from_env({}) is False;"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.fixture
def spans() -> Iterator[Any]:
    sdk_trace = pytest.importorskip(
        "opentelemetry.sdk.trace", reason="the tracing test needs opentelemetry-sdk (dev extra)"
    )
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    provider = sdk_trace.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer(provider.get_tracer("test"))
    try:
        yield exporter
    finally:
        tracing.use_tracer(None)


def test_a_span_per_rpc_and_per_kubernetes_call(
    cluster: Any, spans: Any, server_log: io.StringIO
) -> None:
    with live_server(cluster) as server, JobSchedulerClient(f"127.0.0.1:{server.port}") as client:
        job_id = client.schedule_job(
            pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=60))
        ).job_id
        client.get_job_status(job_id)
    finished = spans.get_finished_spans()
    (schedule,) = [s for s in finished if s.name == "jobscheduler.JobScheduler/ScheduleJob"]
    children = [s for s in finished if s.parent and s.parent.span_id == schedule.context.span_id]
    assert "kubernetes create jobs" in {s.name for s in children}
    assert all(s.context.trace_id == schedule.context.trace_id for s in children)

    lines = [json.loads(line) for line in server_log.getvalue().splitlines() if line.strip()]
    (rpc_line,) = [
        line
        for line in lines
        if line.get("event") == "rpc" and line.get("method", "").endswith("/ScheduleJob")
    ]
    assert rpc_line["trace_id"] == format(schedule.context.trace_id, "032x")


def test_an_endpoint_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.grpc.trace_exporter", None)
    with pytest.raises(tracing.TracingUnavailable, match=r"jobscheduler\[otel\]"):
        tracing.configure_from_env({tracing.ENDPOINT_ENV: "http://127.0.0.1:4317"})
