"""RPC metrics on /metrics and one canonical log line per RPC."""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from jobscheduler import errors
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.api import jobscheduler_pb2_grpc as pb_grpc
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.edge.server import Server
from jobscheduler.logs import configure_logging

from .fakes import FakeJobService
from .waiting import wait_until


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_rpc_metrics_count_calls_by_method_and_code(
    server: Server, client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    common = {"grpc_type": "unary", "grpc_service": "jobscheduler.JobScheduler"}
    before = _scrape(server.metrics_port)

    client.get_job_status("job-1")
    client.get_job_status("job-2")
    fake_service.errors["get_job_status"] = errors.NotFound("job job-3 not found")
    with pytest.raises(JobSchedulerRpcError):
        client.get_job_status("job-3")
    fake_service.events = [
        pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="a")),
        pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="b")),
    ]
    list(client.watch_jobs())

    after = _scrape(server.metrics_port)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    method = {**common, "grpc_method": "GetJobStatus"}
    assert delta("grpc_server_started_total", **method) == 3
    assert delta("grpc_server_handled_total", **method, grpc_code="OK") == 2
    assert delta("grpc_server_handled_total", **method, grpc_code="NOT_FOUND") == 1
    assert delta("grpc_server_handling_seconds_count", **method) == 3
    stream = {
        "grpc_type": "server_stream",
        "grpc_service": "jobscheduler.JobScheduler",
        "grpc_method": "WatchJobs",
    }
    assert delta("grpc_server_handled_total", **stream, grpc_code="OK") == 1
    assert delta("grpc_server_msg_sent_total", **stream) == 2
    assert delta("grpc_server_msg_sent_total", **method) == 2  # the two OK responses


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(level="info", fmt="json", stream=buffer)
    yield buffer
    structlog.reset_defaults()
    logging.getLogger().handlers = []


def _rpc_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line.get("event") == "rpc"]


def test_one_json_log_line_per_rpc_with_its_context(
    server: Server, fake_service: FakeJobService, json_log: io.StringIO
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.JobSchedulerStub(channel)
        stub.CancelJob(pb.CancelJobRequest(job_id="job-42"), metadata=[("x-request-id", "r-1")])
        reply = stub.ScheduleJob(pb.ScheduleJobRequest(name="t"))
    lines = _rpc_lines(json_log)
    assert len(lines) == 2
    cancel, schedule = lines
    assert cancel["method"] == "/jobscheduler.JobScheduler/CancelJob"
    assert cancel["code"] == "OK"
    assert cancel["job_id"] == "job-42"
    assert cancel["request_id"] == "r-1"
    assert str(cancel["peer"]).startswith("ipv4:127.0.0.1:")
    assert isinstance(cancel["duration_ms"], float)
    assert cancel["level"] == "info"
    # No job id in the request: the one the server generated comes from the response.
    assert schedule["job_id"] == reply.job_id


def test_internal_errors_log_the_traceback_but_answer_a_fixed_message(
    client: JobSchedulerClient, fake_service: FakeJobService, json_log: io.StringIO
) -> None:
    fake_service.errors["list_jobs"] = ValueError("kube body: secret")
    with pytest.raises(JobSchedulerRpcError) as caught:
        client.list_jobs()
    assert "secret" not in caught.value.message
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    failure = next(r for r in records if r["event"] == "unexpected error")
    assert "ValueError: kube body: secret" in failure["exception"]
    assert failure["request_id"] == caught.value.request_id
    (rpc_line,) = _rpc_lines(json_log)
    assert rpc_line["code"] == "INTERNAL"
    assert rpc_line["level"] == "error"


def test_a_stream_the_client_cancels_is_counted_as_cancelled(
    server: Server, client: JobSchedulerClient, fake_service: FakeJobService
) -> None:
    labels = {
        "grpc_type": "server_stream",
        "grpc_service": "jobscheduler.JobScheduler",
        "grpc_method": "WatchJobs",
        "grpc_code": "CANCELLED",
    }
    before = _value(_scrape(server.metrics_port), "grpc_server_handled_total", **labels)
    fake_service.events = [pb.JobEvent(type=pb.JobEvent.TYPE_INITIAL, job=pb.JobInfo(job_id="j"))]
    fake_service.stream_until_inactive = True
    for _event in client.watch_jobs():
        break  # leaving the loop cancels the call
    # The service saw is_active() turn false and ended its stream.
    assert fake_service.stream_ended.wait(10)
    wait_until(
        lambda: (
            _value(_scrape(server.metrics_port), "grpc_server_handled_total", **labels)
            == before + 1
        )
    )
