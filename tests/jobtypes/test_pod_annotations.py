"""Which request annotations reach the pods: only those the operator allows by prefix
(POD_ANNOTATION_ALLOWED_PREFIXES); Job annotations stay free."""

from __future__ import annotations

import pytest

from jobscheduler.config import Settings
from jobscheduler.jobtypes.metadata import SIMULATION_PREFIX
from jobscheduler.jobtypes.validation import pod_annotation_violations

from .builders import container_request, manifest_for

SIM = "sim.jobscheduler.io/"


def pod_and_job_annotations(
    annotations: dict[str, str], allowed: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str]]:
    manifest = manifest_for(
        container_request(annotations=annotations),
        settings=Settings(pod_annotation_allowed_prefixes=allowed),
    )
    pod = manifest["spec"]["template"]["metadata"].get("annotations", {})
    return pod, manifest["metadata"]["annotations"]


def test_by_default_no_user_annotation_reaches_the_pods() -> None:
    pod, job = pod_and_job_annotations({"example.com/ticket": "OPS-1"}, ())
    assert pod == {}
    assert job["example.com/ticket"] == "OPS-1"
    assert pod_annotation_violations({"example.com/ticket": "OPS-1"}, ()) == []


def test_allowed_prefixes_reach_the_pods() -> None:
    annotations = {"prometheus.io/scrape": "true", SIM + "exit-code": "3", "other.io/x": "1"}
    pod, job = pod_and_job_annotations(annotations, ("prometheus.io/", SIM))
    assert pod == {"prometheus.io/scrape": "true", SIM + "exit-code": "3"}
    assert annotations.items() <= job.items()


@pytest.mark.parametrize(
    "key",
    [
        "sidecar.istio.io/inject",
        "traffic.sidecar.istio.io/excludeOutboundPorts",
        "proxy.istio.io/config",
        "linkerd.io/inject",
        "config.linkerd.io/skip-outbound-ports",
        "vault.hashicorp.com/agent-inject-secret-db",
        SIM + "exit-code",
    ],
)
def test_pod_controls_not_allowed_for_pods_are_refused(key: str) -> None:
    (violation,) = pod_annotation_violations({key: "true"}, ("example.com/",))
    assert violation.field == f'annotations["{key}"]'
    assert "POD_ANNOTATION_ALLOWED_PREFIXES" in violation.description


@pytest.mark.parametrize("broad", ["", "io/", "s", "sidecar."])
def test_a_broad_allowed_prefix_does_not_let_an_injector_through(broad: str) -> None:
    key = "sidecar.istio.io/inject"
    assert pod_annotation_violations({key: "false"}, (broad,)) != []
    pod, _ = pod_and_job_annotations({key: "false"}, (broad,))
    assert pod == {}


@pytest.mark.parametrize("explicit", ["sidecar.istio.io/", "sidecar.istio.io/inject"])
def test_an_operator_naming_an_injector_prefix_lets_it_through(explicit: str) -> None:
    # e.g. jobs in a mesh namespace need sidecar.istio.io/inject: "false" to ever complete
    key = "sidecar.istio.io/inject"
    assert pod_annotation_violations({key: "false"}, (explicit,)) == []
    pod, _ = pod_and_job_annotations({key: "false"}, (explicit,))
    assert pod == {key: "false"}


def test_the_setting_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_ANNOTATION_ALLOWED_PREFIXES", " sim.jobscheduler.io/, example.com/,")
    assert Settings().pod_annotation_allowed_prefixes == (SIM, "example.com/")


def test_the_simulation_prefix_is_the_one_the_simulated_kubelet_reads() -> None:
    # serve --embedded-cluster lets it through by default without importing the simulator.
    from kubesim.controllers.simpod import PREFIX  # noqa: PLC0415

    assert SIMULATION_PREFIX == SIM == PREFIX
