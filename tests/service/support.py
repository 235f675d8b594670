"""Helpers for service tests against the cluster: request builders and waiting for states."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.service import JobService

# Real seconds a test waits for the cluster to reach a state before failing (not a timing
# assertion: only a bound on a hang).
WAIT_SECONDS = 30.0

SIM = "sim.jobscheduler.io/"


def timer(duration: int = 60, **fields: Any) -> pb.ScheduleJobRequest:
    return pb.ScheduleJobRequest(
        name="my-timer",
        timer_job=pb.TimerJobConfig(
            duration_seconds=duration,
            timer_name="build-timeout",
            control_plane_endpoint="http://control-plane:50053",
        ),
        **fields,
    )


def container(image: str = "busybox:1.36", **fields: Any) -> pb.ScheduleJobRequest:
    sim = fields.pop("sim", {})
    annotations = {SIM + key: str(value) for key, value in sim.items()} | fields.pop(
        "annotations", {}
    )
    return pb.ScheduleJobRequest(
        name="my-container",
        container_job=pb.ContainerJobConfig(image=image, command=["sh", "-c", "echo hello"]),
        annotations=annotations,
        **fields,
    )


def wait_for(
    service: JobService,
    job_id: str,
    predicate: Callable[[pb.JobInfo], bool],
    namespace: str = "",
) -> pb.JobInfo:
    deadline = time.monotonic() + WAIT_SECONDS
    info = pb.JobInfo()
    while time.monotonic() < deadline:
        info = service.get_job_status(
            pb.GetJobStatusRequest(job_id=job_id, namespace=namespace)
        ).job_info
        if predicate(info):
            return info
        time.sleep(0.05)
    raise AssertionError(f"{job_id} never reached the expected state; last: {info}")


def wait_status(service: JobService, job_id: str, status: int, namespace: str = "") -> pb.JobInfo:
    return wait_for(service, job_id, lambda info: info.status == status, namespace)


def status_name(status: int) -> str:
    return pb.JobStatus.Name(status)  # type: ignore[arg-type]


class FakeTime:
    """The watcher's clock and pause: a pause advances the clock instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float, is_active: Any) -> None:
        self.pauses.append(seconds)
        self.now += seconds
