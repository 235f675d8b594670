"""Wait and run times of jobs, as the metrics observe them (pure, and once per job)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from jobscheduler import metrics
from jobscheduler.api import jobscheduler_pb2 as pb


def at(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def job(**fields: object) -> pb.JobInfo:
    base: dict[str, object] = {
        "job_id": "j",
        "namespace": "ns",
        "job_type": "timer-test",
        "k8s_kind": "Job",
        "create_time": at(1000),
    }
    return pb.JobInfo(**(base | fields))  # type: ignore[arg-type]


def test_wait_counts_from_creation_or_from_the_requested_start() -> None:
    assert metrics.job_timings(job(start_time=at(1030))).schedule_to_start == 30
    delayed = job(start_at=at(1600), start_time=at(1605))
    assert metrics.job_timings(delayed).schedule_to_start == 5
    assert metrics.job_timings(job()).schedule_to_start is None


def test_run_time_only_for_a_finished_job() -> None:
    running = job(status=pb.JOB_STATUS_RUNNING, start_time=at(1010))
    assert metrics.job_timings(running).run is None
    done = job(status=pb.JOB_STATUS_FAILED, start_time=at(1010), completion_time=at(1070))
    assert metrics.job_timings(done) == metrics.JobTimings(10, 60, "failed")


def count(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY  # noqa: PLC0415

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_job_is_observed_once_however_often_it_is_seen() -> None:
    recorder = metrics.JobTimingsRecorder()
    waits = ("jobscheduler_job_schedule_to_start_seconds_count", {"job_type": "timer-test"})
    runs = (
        "jobscheduler_job_run_duration_seconds_count",
        {"job_type": "timer-test", "state": "succeeded"},
    )
    before = count(waits[0], **waits[1]), count(runs[0], **runs[1])
    running = job(status=pb.JOB_STATUS_RUNNING, start_time=at(1010))
    done = job(status=pb.JOB_STATUS_SUCCEEDED, start_time=at(1010), completion_time=at(1020))
    for info in (job(), running, running, done, done):
        recorder.observe(info)
    assert count(waits[0], **waits[1]) == before[0] + 1
    assert count(runs[0], **runs[1]) == before[1] + 1
    recorder.observe(pb.JobInfo(k8s_kind="CronJob", job_type="timer-test"))  # a schedule: never
    assert count(waits[0], **waits[1]) == before[0] + 1
