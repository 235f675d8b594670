"""``jobscheduler jobs ...`` against a real server: what a person sees, and JSON for scripts."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.main import EXIT_BROKEN_PIPE, main
from jobscheduler.client import JobSchedulerClient
from tests.service.test_api_cost import api_calls

from .conftest import free_port


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def wait_for_status(
    capsys: pytest.CaptureFixture[str], target: str, job_id: str, status: str
) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        code, out, _ = run(capsys, "jobs", "status", job_id, "--server", target, "-o", "json")
        assert code == 0
        reply: dict[str, object] = json.loads(out)
        if reply["status"] == status:
            return reply
        assert time.monotonic() < deadline, f"{job_id} never reached {status}: {reply}"
        time.sleep(0.05)


def test_schedule_status_list_cancel_as_tables(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, out, _ = run(
        capsys,
        "jobs",
        "schedule",
        "--server",
        target,
        "--name",
        "nightly-build",
        "--timer",
        "300",
        "--timer-name",
        "build-timeout",
        "--job-id",
        "job-cli1",
        "--label",
        "team=infra",
    )
    assert code == 0
    assert out.startswith("job-cli1 PENDING")

    code, out, _ = run(capsys, "jobs", "status", "job-cli1", "--server", target)
    assert code == 0
    assert "Name:" in out and "nightly-build" in out
    assert "Timer:" in out and "build-timeout for 300s" in out
    assert "team=infra" in out

    code, out, _ = run(capsys, "jobs", "list", "--server", target)
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["JOB", "ID", "NAME", "TYPE"]
    assert any(row.split()[:3] == ["job-cli1", "nightly-build", "timer"] for row in rows)

    code, out, _ = run(capsys, "jobs", "cancel", "job-cli1", "--server", target)
    assert code == 0
    wait_for_status(capsys, target, "job-cli1", "JOB_STATUS_CANCELLED")

    code, out, _ = run(capsys, "jobs", "list", "--status", "cancelled", "--server", target)
    assert "job-cli1" in out and "CANCELLED" in out


def test_status_fresh_reads_the_api_server_and_plain_status_the_cache(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, out, _ = run(
        capsys, "jobs", "schedule", "--server", target, "--timer", "300", "-o", "name"
    )
    assert code == 0
    job_id = out.strip()

    def status(*flags: str) -> None:
        code, out, _ = run(capsys, "jobs", "status", job_id, "--server", target, *flags)
        assert code == 0 and job_id in out

    assert ("get", "jobs") not in api_calls(status)
    assert api_calls(lambda: status("--fresh"))[("get", "jobs")] == 1


def test_json_output_uses_the_proto_field_names(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, out, _ = run(
        capsys,
        "jobs",
        "schedule",
        "--server",
        target,
        "-o",
        "json",
        "--name",
        "j",
        "--timer",
        "60",
    )
    assert code == 0
    reply = json.loads(out)
    assert reply["job_id"].startswith("job-")
    assert reply["status"] == "JOB_STATUS_PENDING"
    assert reply["job_info"]["timer_details"]["duration_seconds"] == "60"

    code, out, _ = run(capsys, "jobs", "list", "--server", target, "-o", "json")
    listed = json.loads(out)
    assert [job["job_id"] for job in listed["jobs"]] == [reply["job_id"]]
    assert listed["total_count"] == 1


def test_container_job_logs_and_watch_to_completion(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, out, err = run(
        capsys,
        "jobs",
        "schedule",
        "--server",
        target,
        "--name",
        "hello",
        "--image",
        "busybox",
        "--",
        "sh",
        "-c",
        "echo hello from the job",
    )
    assert code == 0, err
    job_id = out.split()[0]

    code, out, _ = run(capsys, "jobs", "watch", job_id, "--server", target)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[1] == "INITIAL"  # after the time it was received
    assert lines[-1].split()[3] == "SUCCEEDED"

    code, out, _ = run(capsys, "jobs", "logs", job_id, "--server", target)
    assert code == 0
    assert "hello from the job" in out


def test_paging_through_every_job(capsys: pytest.CaptureFixture[str], target: str) -> None:
    for index in range(5):
        code, _, _ = run(capsys, "jobs", "schedule", "--server", target, "--name", f"p{index}",
                         "--timer", "60")  # fmt: skip
        assert code == 0
    _, out, _ = run(capsys, "jobs", "list", "--server", target, "--page-size", "2")
    assert len(out.splitlines()) == 1 + 2 + 1  # header, two jobs, the next-page hint
    assert "(more: --page-token" in out
    _, out, _ = run(
        capsys, "jobs", "list", "--server", target, "--page-size", "2", "--all", "-o", "json"
    )
    names = sorted(job["name"] for job in json.loads(out)["jobs"])
    assert names == [f"p{i}" for i in range(5)]


def test_types_lists_what_the_server_runs(capsys: pytest.CaptureFixture[str], target: str) -> None:
    code, out, _ = run(capsys, "jobs", "types", "--server", target)
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()[1:]} == {
        "container",
        "health-check",
        "timer",
        "webhook",
    }


def test_errors_show_code_message_and_violations(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, _, err = run(
        capsys, "jobs", "schedule", "--server", target, "--name", "x", "--timer", "0"
    )
    assert code == 1
    assert "INVALID_ARGUMENT" in err
    assert "timer_job.duration_seconds" in err

    code, _, err = run(capsys, "jobs", "status", "job-missing", "--server", target)
    assert code == 1
    assert err.startswith("error: NOT_FOUND:")


def test_usage_mistakes_exit_2_before_any_call(
    capsys: pytest.CaptureFixture[str], target: str
) -> None:
    code, _, err = run(capsys, "jobs", "schedule", "--server", target, "--name", "x")
    assert code == 2
    assert "--timer SECONDS" in err
    code, _, err = run(capsys, "jobs", "list", "--server", target, "--status", "sleepy")
    assert code == 2
    assert "unknown status 'sleepy'" in err


def test_no_server_is_unavailable_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "jobs", "list", "--server", target, "--timeout", "2")
    assert code == 1
    assert "UNAVAILABLE" in err
    assert f"is a jobscheduler server running at {target}?" in err


def test_health_command(capsys: pytest.CaptureFixture[str], target: str) -> None:
    code, out, _ = run(capsys, "health", "--server", target)
    assert (code, out.strip()) == (0, f"{target}: SERVING")
    code, _, err = run(capsys, "health", "--server", f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert code == 1
    assert "UNAVAILABLE" in err


def test_watch_piped_into_a_reader_that_leaves_stops_quietly(target: str) -> None:
    """``jobscheduler jobs watch | head -1``: no traceback when head exits, SIGPIPE's exit code."""
    with JobSchedulerClient(target, timeout=10) as client:
        client.schedule_job(
            pb.ScheduleJobRequest(
                job_id="job-pipe1", name="pipe", timer_job={"duration_seconds": 60}
            )
        )
        watcher = subprocess.Popen(
            [sys.executable, "-m", "jobscheduler.cli.main", "jobs", "watch", "--server", target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert watcher.stdout is not None and watcher.stderr is not None
            assert "job-pipe1" in watcher.stdout.readline()
            watcher.stdout.close()  # what head does after its first line
            # The next event is written into the closed pipe.
            client.schedule_job(
                pb.ScheduleJobRequest(
                    job_id="job-pipe2", name="pipe", timer_job={"duration_seconds": 60}
                )
            )
            code = watcher.wait(timeout=30)
            err = watcher.stderr.read()
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
            if watcher.stderr is not None:
                watcher.stderr.close()
    assert code == EXIT_BROKEN_PIPE
    assert err == ""


def test_schedule_names_the_job_type_first_and_takes_its_flags() -> None:
    from jobscheduler.cli.jobs import UsageError, build_schedule_request  # noqa: PLC0415
    from jobscheduler.cli.main import build_parser  # noqa: PLC0415

    def request(*argv: str) -> pb.ScheduleJobRequest:
        return build_schedule_request(build_parser().parse_args(["jobs", "schedule", *argv]))

    timer = request("timer", "--duration", "300", "--timer-name", "build")
    assert timer.timer_job == pb.TimerJobConfig(duration_seconds=300, timer_name="build")
    container = request("container", "--image", "busybox", "--", "echo", "hi")
    assert container.container_job == pb.ContainerJobConfig(image="busybox", command=["echo", "hi"])
    with pytest.raises(UsageError, match="--workdir: not a flag of timer jobs"):
        request("timer", "--timer", "5", "--workdir", "/x")
    with pytest.raises(UsageError, match="name the job type first"):
        request("--timer", "5", "--workdir", "/x")
