"""The ``jobscheduler`` command as a script runs it: a subprocess, its exit code and its output
in every format, against the real server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.cli.main import main
from jobscheduler.client import JobSchedulerClient, JobSchedulerRpcError
from jobscheduler.jobtypes.metadata import RERUN_OF_LABEL

Run = Callable[..., subprocess.CompletedProcess[str]]
SIM = "sim.jobscheduler.io"


@pytest.fixture
def cli(target: str, tmp_path: Path) -> Run:
    """``cli("jobs", "list", env={...})``: the installed entry point with the server taken from
    JOBSCHEDULER_SERVER and no config file but the test's own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("JOBSCHEDULER_")}
    base |= {"JOBSCHEDULER_SERVER": target, "JOBSCHEDULER_CONFIG": str(tmp_path / "none.toml")}

    def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobscheduler", *argv],
            env={**base, **(env or {})},
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    return run


@pytest.fixture
def cli_in_process(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """Like ``cli`` but in this process (``main(argv)``), for tests that run it many times."""
    for name in [k for k in os.environ if k.startswith("JOBSCHEDULER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JOBSCHEDULER_SERVER", target)
    monkeypatch.setenv("JOBSCHEDULER_CONFIG", str(tmp_path / "none.toml"))

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, captured.out, captured.err)

    return run


def schedule(cli: Run, *flags: str) -> str:
    result = cli("jobs", "schedule", "-o", "name", "--image", "busybox", *flags)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_wait_exits_0_for_success_1_for_failure_or_cancel_and_124_on_timeout(cli: Run) -> None:
    ok = schedule(cli, "--name", "ok")
    failing = schedule(cli, "--annotation", f"{SIM}/exit-code=3", "--retries", "0")
    slow = schedule(cli, "--annotation", f"{SIM}/run-seconds=3600")

    result = cli("jobs", "wait", ok)
    assert (result.returncode, result.stdout) == (0, f"{ok} SUCCEEDED Completed\n")
    result = cli("jobs", "wait", ok, failing)
    assert result.returncode == 1
    assert f"{failing} FAILED" in result.stdout
    result = cli("jobs", "wait", failing, "--for", "finished")
    assert result.returncode == 0

    result = cli("jobs", "wait", slow, "--timeout", "1s")
    assert result.returncode == 124
    assert f"{slow} timed out waiting" in result.stdout

    assert cli("jobs", "cancel", slow).returncode == 0
    result = cli("jobs", "wait", slow, "-o", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["status"] == "JOB_STATUS_CANCELLED"


def test_watch_of_one_job_exits_as_wait_does(cli: Run) -> None:
    failing = schedule(cli, "--annotation", f"{SIM}/exit-code=1", "--retries", "0")
    result = cli("jobs", "watch", failing)
    assert result.returncode == 1
    last = result.stdout.splitlines()[-1].split()
    assert last[0].endswith("Z") and last[2:4] == [failing, "FAILED"]  # timestamped
    slow = schedule(cli, "--annotation", f"{SIM}/run-seconds=3600")
    assert cli("jobs", "watch", slow, "--timeout", "1").returncode == 124


def test_watch_all_namespaces_names_each_jobs_namespace(cli_in_process: Run, cluster: Any) -> None:
    cli = cli_in_process
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-x"}}
    cluster.api.create("namespaces", None, body)
    here = schedule(cli, "--suspended")
    there = schedule(cli, "--suspended", "-n", "team-x")
    # Without a job id the watch runs until --timeout, which ends it with exit 0.
    result = cli("jobs", "watch", "-A", "--timeout", "2s")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert {(line[1], line[2]) for line in lines} >= {
        ("INITIAL", f"default/{here}"),
        ("INITIAL", f"team-x/{there}"),
    }
    names = cli("jobs", "watch", "--all-namespaces", "-o", "name", "--timeout", "2s").stdout
    assert {f"default/{here}", f"team-x/{there}"} <= set(names.split())
    only_here = cli("jobs", "watch", "-o", "name", "--timeout", "2s").stdout.split()
    assert here in only_here and there not in only_here
    with_id = cli("jobs", "watch", "-A", here)
    assert with_id.returncode == 2
    assert "give no job id" in with_id.stderr


def test_schedule_wait_prints_the_id_once_then_the_outcome(cli: Run) -> None:
    result = cli("jobs", "schedule", "--image", "busybox", "--wait", "--wait-timeout", "60")
    assert result.returncode == 0, result.stderr
    first, message, outcome = result.stdout.splitlines()
    job_id, status = first.split()
    assert status == "PENDING" and message == "job scheduled"
    assert outcome == f"{job_id} SUCCEEDED Completed"
    failed = cli(
        "jobs", "schedule", "--image", "busybox", "--annotation", f"{SIM}/exit-code=2",
        "--retries", "0", "--wait", "-o", "name",
    )  # fmt: skip
    assert failed.returncode == 1
    assert len(set(failed.stdout.split())) == 1  # the id, then the id as it ended


def test_every_output_format_of_list_and_status(cli: Run) -> None:
    job_id = schedule(cli, "--name", "nightly build", "--annotation", f"{SIM}/run-seconds=3600")
    table = cli("jobs", "list").stdout.splitlines()
    assert table[0].split() == ["JOB", "ID", "NAME", "TYPE", "STATUS", "REASON", "AGE", "DURATION"]
    wide = cli("jobs", "list", "-o", "wide").stdout.splitlines()
    assert "ATTEMPTS" in wide[0] and "RERUN OF" in wide[0] and len(wide) == 2
    assert cli("jobs", "list", "-o", "name").stdout == f"{job_id}\n"
    as_json = json.loads(cli("jobs", "list", "-o", "json").stdout)
    as_yaml = yaml.safe_load(cli("jobs", "list", "-o", "yaml").stdout)
    assert as_json == as_yaml
    assert as_yaml["jobs"][0]["name"] == "nightly build"
    every = cli("jobs", "list", "-A").stdout.splitlines()
    assert every[0].startswith("NAMESPACE") and job_id in every[1]

    got = cli("jobs", "get", job_id)
    assert got.returncode == 0 and "Duration:" in got.stdout
    status = yaml.safe_load(cli("jobs", "status", job_id, "-o", "yaml").stdout)
    assert status["job_info"]["name"] == "nightly build"
    assert cli("jobs", "status", job_id, "-o", "name").stdout == f"{job_id}\n"


def test_schedules_show_their_next_run(cli: Run) -> None:
    created = cli(
        "jobs", "schedule", "--image", "busybox", "--cron", "0 3 * * *",
        "--time-zone", "Europe/Berlin", "--name", "nightly",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    header, row = cli("jobs", "schedules").stdout.splitlines()
    assert "NEXT RUN" in header
    next_run = row[header.index("NEXT RUN") :].split()[:2]
    # 03:00 in Berlin is 01:00 or 02:00 UTC, depending on daylight saving time.
    assert next_run[1] in ("01:00:00Z", "02:00:00Z")


def test_rerun_makes_a_linked_job_from_the_stored_request(cli: Run, target: str) -> None:
    original = schedule(
        cli, "--name", "build", "--label", "team=infra", "--cpu", "250m", "--", "echo", "hi"
    )
    assert cli("jobs", "wait", original).returncode == 0
    result = cli("jobs", "rerun", original, "--job-id", "job-again", "--wait")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "job-again PENDING"
    assert "Rerun of: " + original in " ".join(cli("jobs", "status", "job-again").stdout.split())
    with JobSchedulerClient(target) as client:
        again = client.get_job_status("job-again").job_info
        assert again.rerun_of == original
        assert (again.name, dict(again.labels)) == ("build", {"team": "infra"})
        assert list(again.container_details.command) == ["echo", "hi"]
        linked = client.list_jobs(pb.ListJobsRequest(label_selector={RERUN_OF_LABEL: original}))
        assert [job.job_id for job in linked.jobs] == ["job-again"]
        # Retrying the same rerun is safe: it answers with the job the first call made.
        assert client.rerun_job(original, new_job_id="job-again").job_id == "job-again"
    missing = cli("jobs", "rerun", "job-nope")
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr


def test_logs_name_pods_of_several_attempts_and_read_earlier_ones(cli: Run) -> None:
    job_id = schedule(
        cli, "--annotation", f"{SIM}/fail-attempts=1", "--annotation", f"{SIM}/logs=working",
        "--retries", "2",
    )  # fmt: skip
    assert cli("jobs", "wait", job_id).returncode == 0
    lines = cli("jobs", "logs", job_id).stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"[{job_id}-") for line in lines)
    assert len({line.split()[0] for line in lines}) == 2  # two pods, each named
    previous = cli("jobs", "logs", job_id, "--previous").stdout.splitlines()
    assert previous == lines[:1]
    assert cli("jobs", "logs", job_id, "--since", "1h", "--no-prefix").stdout == "working\n" * 2


def _cancel_once_it_printed(cli: Run, target: str) -> str:
    job_id = schedule(
        cli, "--annotation", f"{SIM}/run-seconds=3600", "--annotation", f"{SIM}/logs=working"
    )
    with JobSchedulerClient(target) as client:
        _until(lambda: [c.text for c in client.get_job_logs(job_id)] == ["working\n"])
        client.cancel_job(job_id)
    return job_id


def test_logs_of_a_cancelled_job_are_the_kept_ones_and_say_so(cli: Run, target: str) -> None:
    job_id = _cancel_once_it_printed(cli, target)
    with JobSchedulerClient(target) as client:  # the pods go a moment after the cancel
        _until(lambda: all(chunk.kept for chunk in client.get_job_logs(job_id)))
    result = cli("jobs", "logs", job_id)
    assert (result.returncode, result.stdout) == (0, "working\n")
    assert result.stderr == f"{job_id}: (kept logs: pods are gone)\n"
    kept = cli("jobs", "logs", job_id, "-o", "json").stdout
    assert json.loads(kept.splitlines()[0])["kept"] is True


@pytest.mark.server_settings(kept_logs_max_pods=0)
def test_logs_of_a_cancelled_job_say_that_nothing_was_kept(cli: Run, target: str) -> None:
    job_id = _cancel_once_it_printed(cli, target)
    with JobSchedulerClient(target) as client:

        def refused() -> bool:
            try:
                list(client.get_job_logs(job_id))
            except JobSchedulerRpcError as error:
                return error.code.name == "FAILED_PRECONDITION"
            return False

        _until(refused)
    result = cli("jobs", "logs", job_id)
    assert result.returncode == 1 and result.stdout == ""
    assert "is cancelled and its pods are gone; no logs of them were kept" in result.stderr


def _until(check: Callable[[], bool]) -> None:
    """Until ``check()`` holds (a bound on a hang, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, "the server never answered as expected"
        time.sleep(0.05)


def test_flags_win_over_the_environment_which_wins_over_the_config_file(
    cli: Run, target: str, tmp_path: Path
) -> None:
    job_id = schedule(cli)  # in "default"
    config = tmp_path / "config.toml"
    config.write_text(f'server = "{target}"\nnamespace = "from-file"\ntoken = ""\n')
    from_file = {"JOBSCHEDULER_SERVER": "", "JOBSCHEDULER_CONFIG": str(config)}

    def listed(*flags: str, **env: str) -> str:
        result = cli("jobs", "list", "-o", "name", *flags, env={**from_file, **env})
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert listed() == ""  # the file's server and namespace
    assert listed(JOBSCHEDULER_NAMESPACE="default") == f"{job_id}\n"
    assert listed("-n", "default", JOBSCHEDULER_NAMESPACE="other") == f"{job_id}\n"
    dead = cli("jobs", "list", "--server", "127.0.0.1:1", "--timeout", "2", env=from_file)
    assert dead.returncode == 1 and "127.0.0.1:1" in dead.stderr
    config.write_text('sever = "typo"\n')
    bad = cli("jobs", "list", env=from_file)
    assert bad.returncode == 2 and "unknown key 'sever'" in bad.stderr


def test_usage_mistakes_exit_2(cli: Run) -> None:
    assert cli("jobs", "wait", "job-x", "--timeout", "soon").returncode == 2
    assert cli("jobs", "list", "-o", "xml").returncode == 2


def test_completion_scripts_cover_the_commands(cli: Run) -> None:
    for shell in ("bash", "zsh"):
        result = cli("completion", shell)
        assert result.returncode == 0
        for word in ("jobs", "wait", "rerun", "--all-namespaces"):
            assert word in result.stdout


def test_the_annotation_budget_error_says_what_the_readme_says(cli: Run, tmp_path: Path) -> None:
    request = tmp_path / "big.json"
    request.write_text(json.dumps({"annotations": {"a": "x" * 140_000}}))
    result = cli("jobs", "schedule", "--image", "busybox", "--request", str(request))
    assert result.returncode == 1
    assert "128 KiB" in result.stderr and "256 KiB" in result.stderr
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "own `annotations` may\ntake at most 128 KiB" in readme


GREET = {
    "name": "greet",
    "description": "say hello",
    "body": {"name": "greet {{who}}", "container_job": {"image": "busybox"}},
    "parameters": [{"name": "who", "required": True, "description": "whom to greet"}],
}


def test_template_commands_print_every_output_format(cli_in_process: Run, tmp_path: Path) -> None:
    cli = cli_in_process
    source = tmp_path / "greet.json"
    source.write_text(json.dumps(GREET))
    created = cli("jobs", "template", "create", "-f", str(source), "-o", "yaml")
    assert created.returncode == 0, created.stderr
    assert yaml.safe_load(created.stdout)["parameters"][0]["name"] == "who"
    assert cli("jobs", "template", "get", "greet", "-o", "name").stdout == "greet\n"
    as_json = json.loads(cli("jobs", "template", "get", "greet", "-o", "json").stdout)
    as_yaml = yaml.safe_load(cli("jobs", "template", "get", "greet", "-o", "yaml").stdout)
    assert as_json == as_yaml
    assert (as_json["name"], as_json["description"]) == ("greet", "say hello")

    table = cli("jobs", "template", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "VERSION", "PARAMETERS", "DESCRIPTION"]
    assert table[1].split()[0] == "greet" and "who*" in table[1]
    wide = cli("jobs", "template", "list", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-2:] == ["NAMESPACE", "CREATED"]
    assert wide[1].split()[-3:-1] == ["default", as_json["create_time"][:10]]
    shown = cli("jobs", "template", "get", "greet", "-o", "wide").stdout.splitlines()
    assert shown[0] == wide[0] and shown[2] == "  who (string; required): whom to greet"
    assert cli("jobs", "template", "list", "-o", "name").stdout == "greet\n"
    listed_json = json.loads(cli("jobs", "template", "list", "-o", "json").stdout)
    listed_yaml = yaml.safe_load(cli("jobs", "template", "list", "-o", "yaml").stdout)
    assert listed_json == listed_yaml == {"templates": [as_json]}

    deleted = cli("jobs", "template", "delete", "greet", "-o", "name")
    assert (deleted.returncode, deleted.stdout) == (0, "greet\n")
    assert yaml.safe_load(cli("jobs", "template", "list", "-o", "yaml").stdout) == {}
