"""The shipped example templates: valid ConfigMaps, loaded through the RPC, scheduled from."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from jobscheduler.client import JobSchedulerClient
from tests.ship.manifests import KUBERNETES_VERSIONS

from .support import EXAMPLES, example, from_template

FILES = sorted(path.name for path in EXAMPLES.glob("*.yaml"))


def test_both_examples_are_shipped() -> None:
    assert FILES == ["nightly-health-check.yaml", "weather-report.yaml"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("file_name", FILES)
def test_each_example_validates_strictly(file_name: str, version: str) -> None:
    manifest = yaml.safe_load(Path(EXAMPLES / file_name).read_text())
    kubernetes_validate.validate(manifest, version, strict=True)


def test_load_and_schedule_the_health_check(client: JobSchedulerClient) -> None:
    created = client.create_job_template(example("nightly-health-check.yaml"))
    assert {p.name for p in created.parameters} == {"url", "cron", "timeout_seconds"}
    reply = client.schedule_job(
        from_template("nightly-health-check", "status-probe", url="https://status.example.com/")
    )
    info = reply.job_info
    assert info.k8s_kind == "CronJob" and info.schedule.cron == "0 2 * * *"
    assert info.health_check_details.target == "https://status.example.com/"
    assert info.template_name == "nightly-health-check"


def test_load_and_schedule_the_weather_report(client: JobSchedulerClient) -> None:
    client.create_job_template(example("weather-report.yaml"))
    reply = client.schedule_job(
        from_template("weather-report", "weather", webhook_url="https://hooks.example.com/weather")
    )
    info = reply.job_info
    assert info.name == "weather report for Lisbon"
    assert info.schedule.time_zone == "Europe/Lisbon"
    assert info.webhook_details.url == "https://hooks.example.com/weather"
