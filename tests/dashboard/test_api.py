"""The dashboard's HTTP surface without a browser: JSON, errors, headers, streams."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.dashboard.queries import next_runs

from .conftest import Stack


def get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = get(url)
    return status, json.loads(body)


def test_pages_carry_a_strict_content_security_policy(stack: Stack) -> None:
    for path in ("/", "/job", "/schedules", "/static/jobs.js", "/api/jobs"):
        status, headers, _ = get(stack.url + path)
        assert status == 200, path
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_only_shipped_files_are_served(stack: Stack) -> None:
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/nope.js", "/x"):
        assert get(stack.url + path)[0] == 404, path


def test_the_dashboard_is_read_only(stack: Stack) -> None:
    status, headers, _ = get(stack.url + "/api/jobs", method="POST")
    assert status == 405 and headers["Allow"] == "GET"


def test_filters_narrow_the_list_and_bad_ones_name_the_field(stack: Stack) -> None:
    web = stack.client.schedule_job(
        pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=60), labels={"t": "w"})
    ).job_id
    stack.client.schedule_job(
        pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=60), labels={"t": "d"})
    )
    status, page = get_json(stack.url + "/api/jobs?label=t%3Dw&job_type=timer")
    assert status == 200 and [job["job_id"] for job in page["jobs"]] == [web]

    status, error = get_json(stack.url + "/api/jobs?state=DONE")
    assert status == 400 and error["violations"][0]["field"] == "state"
    status, error = get_json(stack.url + "/api/jobs?job_type=nope")
    assert status == 400 and error["code"] == "INVALID_ARGUMENT"


def test_an_unknown_job_is_404_everywhere(stack: Stack) -> None:
    for suffix in ("", "/events", "/logs", "/watch"):
        status, error = get_json(f"{stack.url}/api/jobs/{stack.namespace}/no-such-job{suffix}")
        assert status == 404 and "no-such-job" in error["message"], suffix


def test_the_watch_stream_sends_a_job_scheduled_through_grpc(stack: Stack) -> None:
    with urllib.request.urlopen(stack.url + "/api/watch?job_type=timer", timeout=30) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.readline() == b"retry: 3000\n"
        job_id = stack.client.schedule_job(
            pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=60))
        ).job_id
        lines = [stream.readline() for _ in range(3)]
    assert lines[0] == b"\n" and lines[1] == b"event: job\n"
    event = json.loads(lines[2].removeprefix(b"data: "))
    assert event["job"]["job_id"] == job_id and event["job"]["status"].startswith("JOB_STATUS_")


def test_job_events_name_what_they_are_about(stack: Stack) -> None:
    job_id = stack.client.schedule_job(
        pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=60))
    ).job_id
    url = f"{stack.url}/api/jobs/{stack.namespace}/{job_id}/events"
    # The pod's events come once the simulated kubelet gets to it: wait by time, not by a
    # count of requests (a fast machine would run through any count first).
    deadline = time.monotonic() + 15
    status, answer = get_json(url)
    while not any(e["object_kind"] == "Pod" for e in answer["events"]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
        status, answer = get_json(url)
    assert status == 200
    assert {"Job", "Pod"} <= {event["object_kind"] for event in answer["events"]}
    assert any(event["reason"] == "SuccessfulCreate" for event in answer["events"])


def test_the_logs_of_a_cancelled_job_are_sent_marked_as_kept(stack: Stack) -> None:
    sim = {"sim.jobscheduler.io/logs": "started", "sim.jobscheduler.io/run-seconds": "3600"}
    job_id = stack.client.schedule_job(
        pb.ScheduleJobRequest(
            container_job=pb.ContainerJobConfig(image="busybox", command=["./run"]),
            annotations=sim,
        )
    ).job_id
    _until(lambda: [c.text for c in stack.client.get_job_logs(job_id)] == ["started\n"])
    stack.client.cancel_job(job_id)
    _until(lambda: all(chunk.kept for chunk in stack.client.get_job_logs(job_id)))
    url = f"{stack.url}/api/jobs/{stack.namespace}/{job_id}/logs"
    with urllib.request.urlopen(url, timeout=30) as stream:
        lines = [line for line in stream.read().splitlines() if line.startswith(b"data: {")]
    chunk = json.loads(lines[0].removeprefix(b"data: "))
    assert (chunk["text"], chunk["kept"]) == ("started\n", True)


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30  # a bound on a hang, not a timing assertion
    while not check():
        assert time.monotonic() < deadline, "the job never got there"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("cron", "zone", "expected"),
    [
        ("0 2 * * *", "Europe/Berlin", ["2026-01-16T01:00:00Z", "2026-01-17T01:00:00Z"]),
        ("@hourly", "", ["2026-01-15T11:00:00Z", "2026-01-15T12:00:00Z"]),
        ("not a cron", "", []),
        ("0 2 * * *", "Mars/Olympus", []),
    ],
)
def test_next_runs_of_a_schedule(cron: str, zone: str, expected: list[str]) -> None:
    now = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    assert next_runs(cron, zone, now, count=2) == expected
