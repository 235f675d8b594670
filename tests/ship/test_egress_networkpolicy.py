"""k8s/examples/egress-networkpolicy.yaml: valid offline, and it selects what it says it does."""

from __future__ import annotations

import ipaddress

import kubernetes_validate
import pytest
import yaml

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import EgressSettings, Settings
from jobscheduler.jobtypes import BuildContext
from jobscheduler.jobtypes.healthcheck import HealthCheckHandler
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.webhook import WebhookHandler

from .manifests import K8S_DIR, KUBERNETES_VERSIONS

POLICY = yaml.safe_load((K8S_DIR / "examples" / "egress-networkpolicy.yaml").read_text())
METADATA = ipaddress.ip_address("169.254.169.254")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_policy_validates_strictly(version: str) -> None:
    kubernetes_validate.validate(POLICY, version, strict=True)


def test_egress_only_to_dns_and_named_cidrs() -> None:
    spec = POLICY["spec"]
    assert spec["policyTypes"] == ["Egress"]
    dns, targets = spec["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert all("ipBlock" not in peer for peer in dns["to"])
    for peer in targets["to"]:
        network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        assert network.prefixlen > 0, "an allowlist, not everything"
        assert METADATA not in network


def test_it_selects_the_pods_of_both_job_types() -> None:
    (selector,) = POLICY["spec"]["podSelector"]["matchExpressions"]
    egress = EgressSettings(allowed_hosts="hooks.example.com")
    ctx = BuildContext(job_id="job-1", namespace="default", settings=Settings())
    for handler, req in (
        (
            HealthCheckHandler(egress),
            pb.ScheduleJobRequest(
                health_check_job=pb.HealthCheckJobConfig(target="tcp://hooks.example.com:1")
            ),
        ),
        (
            WebhookHandler(egress),
            pb.ScheduleJobRequest(
                webhook_job=pb.WebhookJobConfig(url="https://hooks.example.com/")
            ),
        ),
    ):
        labels = build_manifest(req, handler, ctx, request_hash="h")["spec"]["template"][
            "metadata"
        ]["labels"]
        assert labels[selector["key"]] in selector["values"]
