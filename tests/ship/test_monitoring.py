"""The monitoring component (k8s/components/monitoring) and the metrics it reads.

Offline: the alert rules pass ``promtool check rules``, a real scrape passes ``promtool check
metrics``, the ServiceMonitor finds the Service's metrics port, and every metric the rules and
the Grafana dashboard name is one the service exports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.client import JobSchedulerClient
from tests.edge.live import live_server

from .manifests import CRD_COMPONENTS, K8S_DIR, of_kind, one, render, requires_kubectl

MONITORING = K8S_DIR / "components" / "monitoring"
PROMTOOL = shutil.which("promtool")
requires_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not on PATH (apt-get install prometheus ships it)",
)
# Exported by the service's watch cache (jobscheduler.kube cache), not by this process's
# registry unless the cache runs.
CACHE_METRICS = re.compile(r"^jobscheduler_(cache_[a-z_]+|jobs)$")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def rule_spec() -> dict[str, Any]:
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    spec: dict[str, Any] = rule["spec"]
    return spec


def dashboard_exprs() -> list[str]:
    board = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]


@requires_promtool
def test_alert_rules_pass_promtool(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule_spec()))
    result = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
        [str(PROMTOOL), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = {rule["alert"] for group in rule_spec()["groups"] for rule in group["rules"]}
    assert {
        "JobSchedulerKubernetesUnreachable",
        "JobSchedulerHighErrorRatio",
        "JobSchedulerJobsFailing",
        "JobSchedulerCacheStale",
    } <= names


@requires_promtool
def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    # Guards the test above: promtool must actually parse the expressions.
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        yaml.safe_dump({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "rate(x[5m]"}]}]})
    )
    result = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
        [str(PROMTOOL), "check", "rules", str(rules)], capture_output=True
    )
    assert result.returncode != 0


def exported_names() -> set[str]:
    return {metric.name for metric in REGISTRY.collect()} | {
        sample.name for metric in REGISTRY.collect() for sample in metric.samples
    }


def test_rules_and_dashboard_name_only_metrics_the_service_exports() -> None:
    import jobscheduler.metrics  # noqa: F401, PLC0415 (registers every metric)

    exprs = [rule["expr"] for group in rule_spec()["groups"] for rule in group["rules"]]
    exprs += dashboard_exprs()
    known = exported_names()
    unknown = set()
    for expr in exprs:
        for name in re.findall(r"\b((?:grpc_server|jobscheduler)_[a-z_]+)\b", expr):
            base = next((name.removesuffix(s) for s in _SUFFIXES if name.endswith(s)), name)
            if name not in known and base not in known and not CACHE_METRICS.match(base):
                unknown.add(name)
    assert not unknown


@requires_kubectl
def test_service_monitor_scrapes_the_metrics_port_of_the_service() -> None:
    docs = render(CRD_COMPONENTS["components/monitoring"], "components/monitoring")
    service = one(docs, "Service")
    monitor = one(docs, "ServiceMonitor")
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ports = {port["name"] for port in service["spec"]["ports"]}
    assert {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]} <= ports
    (dashboard,) = [
        c
        for c in of_kind(docs, "ConfigMap")
        if c["metadata"].get("labels", {}).get("grafana_dashboard")
    ]
    assert json.loads(dashboard["data"]["jobscheduler.json"])["uid"] == "jobscheduler"
    assert one(docs, "PrometheusRule")["metadata"]["namespace"] == "jobscheduler"


@requires_promtool
@pytest.mark.clock_speed(20)
def test_a_real_scrape_passes_promtool_check_metrics(cluster: Any) -> None:
    with live_server(cluster) as server:
        with JobSchedulerClient(f"127.0.0.1:{server.port}") as client:
            job_id = client.schedule_job(
                pb.ScheduleJobRequest(timer_job=pb.TimerJobConfig(duration_seconds=2))
            ).job_id
            for event in client.watch_job(job_id):
                if event.job.status == pb.JOB_STATUS_SUCCEEDED:
                    break
        url = f"http://127.0.0.1:{server.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:
            scrape = response.read()
    result = subprocess.run(  # noqa: PLW1510 (the return code is asserted)
        [str(PROMTOOL), "check", "metrics"], input=scrape, capture_output=True, timeout=60
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    text = scrape.decode()
    assert "_created" not in text
    assert re.search(r'^jobscheduler_build_info\{.*version="[^"]+".*\} 1\.0$', text, re.M)
    assert re.search(
        r'^jobscheduler_job_run_duration_seconds_count\{job_type="timer",state="succeeded"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(
        r'^jobscheduler_job_schedule_to_start_seconds_count\{job_type="timer"\} [1-9]', text, re.M
    )
