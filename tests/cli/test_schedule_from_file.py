"""``jobscheduler jobs schedule --from-file``, run as a process against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli import batchfile


def _jobs_schedule(target: str, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "jobscheduler.cli.main", "jobs", "schedule", *argv]
    return subprocess.run(
        [*command, "--server", target],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _line(job_id: str, duration: int = 60) -> str:
    return json.dumps({"job_id": job_id, "name": "t", "timer_job": {"duration_seconds": duration}})


def _job_names(cluster: Any) -> set[str]:
    namespace = getattr(cluster, "namespace", "default")
    return {job["metadata"]["name"] for job in cluster.api.list("jobs", namespace)["items"]}


def test_a_file_of_valid_requests_prints_one_id_per_line_and_exits_0(
    cluster: Any, target: str, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join(_line(f"job-file{i}") for i in range(3)) + "\n\n")
    result = _jobs_schedule(target, "--from-file", str(jobs))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"job-file{i} PENDING" for i in range(3)]
    assert _job_names(cluster) == {"job-file0", "job-file1", "job-file2"}


def test_stdin_with_a_failing_line_prints_its_error_in_place_and_exits_1(
    cluster: Any, target: str
) -> None:
    text = "\n".join([_line("job-in0"), "", _line("job-in2", duration=0), _line("job-in3")])
    result = _jobs_schedule(target, "--from-file", "-", stdin=text)
    assert result.returncode == 1, result.stderr
    first, failed, last = result.stdout.splitlines()
    assert first == "job-in0 PENDING"
    # The error names the file's line and the field as it is written in that line.
    assert failed == (
        "line 3: error: INVALID_ARGUMENT: timer_job.duration_seconds: must be between 1 and "
        "86400 seconds"
    )
    assert last == "job-in3 PENDING"
    assert _job_names(cluster) == {"job-in0", "job-in3"}


def test_json_output_has_one_object_per_request(target: str) -> None:
    text = _line("job-json0") + "\n" + _line("job-json1", duration=0) + "\n"
    result = _jobs_schedule(target, "--from-file", "-", "-o", "json", stdin=text)
    assert result.returncode == 1
    ok, failed = (json.loads(line) for line in result.stdout.splitlines())
    assert ok["line"] == 1 and ok["job"]["job_id"] == "job-json0"
    assert failed["line"] == 2
    assert failed["error"]["code"] == "INVALID_ARGUMENT"
    assert failed["error"]["violations"][0]["field"] == "timer_job.duration_seconds"


def test_a_malformed_line_schedules_nothing_and_exits_2(cluster: Any, target: str) -> None:
    result = _jobs_schedule(target, "--from-file", "-", stdin=_line("job-bad0") + "\n{not json\n")
    assert result.returncode == 2
    assert "stdin:2: not a ScheduleJobRequest" in result.stderr
    assert _job_names(cluster) == set()


def test_single_request_flags_are_refused_with_from_file(target: str) -> None:
    result = _jobs_schedule(target, "--from-file", "-", "--label", "a=b", stdin=_line("job-x"))
    assert result.returncode == 2
    assert "--label" in result.stderr


def test_large_files_are_sent_in_chunks_of_a_thousand(cluster: Any, target: str) -> None:
    text = "\n".join(_line(f"job-many{i}") for i in range(1001))
    result = _jobs_schedule(target, "--from-file", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    assert printed == [f"job-many{i} PENDING" for i in range(1001)]
    assert len(_job_names(cluster)) == 1001


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [([10] * 2500, [1000, 1000, 500]), ([400_000] * 5, [2, 2, 1])],
)
def test_chunks_bound_both_count_and_bytes(sizes: list[int], expected: list[int]) -> None:
    lines = [(i, pb.ScheduleJobRequest(name="x" * size)) for i, size in enumerate(sizes)]
    assert [len(chunk) for chunk in batchfile.chunks(lines)] == expected
