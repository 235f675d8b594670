"""Streaming RPCs end to end: gRPC server -> service -> embedded cluster (fast clock)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient
from jobscheduler.edge.server import Server

from .live import live_server
from .waiting import wait_until


@pytest.fixture
def server(cluster: Any) -> Iterator[Server]:
    with live_server(cluster) as srv:
        yield srv


@pytest.fixture
def client(server: Server) -> Iterator[JobSchedulerClient]:
    with JobSchedulerClient(f"127.0.0.1:{server.port}", timeout=20) as c:
        yield c


@pytest.mark.clock_speed(60)
def test_watch_job_sees_a_timer_through_to_success(client: JobSchedulerClient) -> None:
    # Two seconds of real time at 60x: long enough to be seen running under load.
    config = pb.TimerJobConfig(duration_seconds=120, timer_name="n")
    reply = client.schedule_job(pb.ScheduleJobRequest(name="t", timer_job=config))
    events = list(client.watch_job(reply.job_id, timeout=60))
    statuses = [event.job.status for event in events]
    assert events[0].type == pb.JobEvent.TYPE_INITIAL
    assert pb.JOB_STATUS_RUNNING in statuses
    assert statuses[-1] == pb.JOB_STATUS_SUCCEEDED
    assert client.get_job_status(reply.job_id).job_info.completed_at > 0


def test_watch_jobs_reports_new_jobs_and_logs_stream(client: JobSchedulerClient) -> None:
    seen: list[str] = []
    stream = client.watch_jobs(pb.WatchJobsRequest(job_types=["container"]), timeout=60)
    first_seen = threading.Event()

    def collect() -> None:
        for event in stream:
            seen.append(event.job.job_id)
            first_seen.set()

    reader = threading.Thread(target=collect)
    reader.start()
    try:
        reply = client.schedule_job(
            pb.ScheduleJobRequest(
                name="echo",
                container_job=pb.ContainerJobConfig(image="busybox", command=["echo", "hi"]),
            )
        )
        assert first_seen.wait(30)
        wait_until(lambda: reply.job_id in seen, 30)
    finally:
        stream.close()
        reader.join(10)
    assert not reader.is_alive()
    wait_until(lambda: client.get_job_status(reply.job_id).status == pb.JOB_STATUS_SUCCEEDED, 30)
    text = "".join(chunk.text for chunk in client.get_job_logs(reply.job_id, timeout=30))
    assert "hi" in text
