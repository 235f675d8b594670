"""The dashboard in a real headless browser: pages load, jobs go live, logs follow.

Set ``DASHBOARD_SCREENSHOTS=docs/screenshots`` to refresh the README's screenshots.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb

from .browser import Browser, chromium_binary
from .conftest import Stack

SIM = "sim.jobscheduler.io/"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def browser() -> Iterator[Browser]:
    instance = Browser(chromium_binary())
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("DASHBOARD_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def container(
    name: str, script_lines: int, run_seconds: int, **extra: str
) -> pb.ScheduleJobRequest:
    logs = "\n".join(f"step {n} of {script_lines}" for n in range(1, script_lines + 1))
    return pb.ScheduleJobRequest(
        name=name,
        container_job=pb.ContainerJobConfig(image="busybox:1.36", command=["sh", "-c", "./run"]),
        labels={"team": "data"},
        annotations={SIM + "logs": logs, SIM + "run-seconds": str(run_seconds), **extra},
    )


def js(value: str) -> str:
    return json.dumps(value)


def state_of(job_id: str) -> str:
    return (
        f"(document.querySelector('tr[data-job={js(job_id)}]') || {{dataset: {{}}}}).dataset.state"
    )


def test_jobs_go_live_and_logs_follow(stack: Stack, browser: Browser, shots: Path) -> None:
    client = stack.client
    client.schedule_job(
        pb.ScheduleJobRequest(
            name="<b>not bold</b>",
            timer_job=pb.TimerJobConfig(duration_seconds=1),
            labels={"team": "web"},
        )
    )
    client.schedule_job(
        pb.ScheduleJobRequest(
            name="nightly-report",
            container_job=pb.ContainerJobConfig(
                image="busybox:1.36", command=["sh", "-c", "echo ok"]
            ),
            schedule=pb.Schedule(cron="0 2 * * *", time_zone="Europe/Berlin"),
        )
    )
    failing = container("flaky-import", 1, 1, **{SIM + "fail-attempts": "9"})
    failing.execution.max_retries = 0
    client.schedule_job(failing)

    browser.goto(stack.url + "/")
    browser.evaluate("window.notReloaded = true")
    browser.wait_for("document.getElementById('live').textContent === 'live'", "the watch opened")

    # A job scheduled through gRPC after the page loaded appears, and changes state, live.
    job_id = client.schedule_job(container("train-model", 6, 12)).job_id
    browser.wait_for(state_of(job_id), "the new job's row appeared")
    browser.wait_for(f"{state_of(job_id)} === 'RUNNING'", "the row turned RUNNING")
    browser.wait_for(
        "[...document.querySelectorAll('tr[data-state=FAILED]')].length > 0", "the failure shows"
    )
    # Job data is text, never markup.
    assert browser.evaluate("document.querySelector('#jobs tbody b') === null")
    assert browser.evaluate("document.body.innerText.includes('<b>not bold</b>')")
    assert browser.evaluate("window.notReloaded") is True
    _check_png(browser.screenshot(shots / "jobs.png"))

    # Filters narrow the list (and keep it live): only the web team's job is left.
    browser.evaluate(
        "const f = document.getElementById('f-label'); f.value = 'team=web';"
        "f.dispatchEvent(new Event('change', {bubbles: true}))"
    )
    browser.wait_for(f"!document.querySelector('tr[data-job={js(job_id)}]')", "the filter applied")
    assert "label=team%3Dweb" in browser.evaluate("location.search")

    # The job page: its logs follow the running job to its last line, with no reload.
    query = f"namespace={stack.namespace}&id={job_id}"
    browser.goto(f"{stack.url}/job?{query}")
    browser.evaluate("window.notReloaded = true")
    browser.wait_for("document.getElementById('logs').textContent.includes('step 1 of 6')")
    assert "step 6 of 6" not in browser.evaluate("document.getElementById('logs').textContent")
    browser.wait_for(
        "document.getElementById('logs').textContent.includes('step 6 of 6')", "logs followed"
    )
    browser.wait_for("document.querySelector('#state .state').dataset.state === 'SUCCEEDED'")
    browser.wait_for("document.querySelectorAll('#events tbody tr').length > 0", "events show")
    browser.wait_for("document.getElementById('live').textContent === 'finished'")
    timeline = browser.evaluate("document.getElementById('timeline').innerText")
    assert "Created" in timeline and "Started" in timeline and "Now SUCCEEDED" in timeline
    assert browser.evaluate("window.notReloaded") is True
    _check_png(browser.screenshot(shots / "job.png"))

    # Schedules, with their next runs.
    browser.goto(stack.url + "/schedules")
    browser.wait_for("document.querySelectorAll('#schedules tbody tr').length === 1")
    text = browser.evaluate("document.querySelector('#schedules tbody tr').innerText")
    assert "0 2 * * *" in text and "Europe/Berlin" in text and "UTC" in text
    _check_png(browser.screenshot(shots / "schedules.png"))

    assert browser.problems == []  # no script errors, no CSP refusals


def test_an_unknown_job_page_says_so(stack: Stack, browser: Browser) -> None:
    browser.goto(f"{stack.url}/job?namespace={stack.namespace}&id=no-such-job")
    message = browser.wait_for("document.querySelector('#message [role=alert]')?.textContent")
    assert "not found" in message


def _check_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
