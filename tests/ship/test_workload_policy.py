"""The Deployment and its neighbours meet the deployment contract of README "Deploying".

Pod Security "restricted" is checked field by field (the admission controller's rules), since
there is no API server here to admit the pods.
"""

from __future__ import annotations

import re

import pytest

from jobscheduler.cli.serve import SHUTDOWN_OVERRUN_SECONDS
from jobscheduler.config import Settings, load_settings
from jobscheduler.jobtypes.timer import TimerHandler, TimerSettings
from jobscheduler.version import BASE_VERSION

from .manifests import (
    KUSTOMIZATIONS,
    config_data,
    of_kind,
    one,
    pod_spec,
    render,
    requires_kubectl,
    server_container,
    walk,
)

pytestmark = requires_kubectl

# What the server's objects select on: a key requests may not set (test_job_namespace.py).
SERVER_LABELS = {"jobscheduler.io/component": "server"}
GRPC_PORT = 50054
METRICS_PORT = 8080
# Settings that are not environment for the in-cluster Deployment: the pod uses its
# service-account token, not a kubeconfig file.
# PAGE_TOKEN_KEY comes from a Secret; TLS files are set where certificates are mounted.
NOT_IN_CONFIGMAP = {
    "KUBECONFIG",
    "PAGE_TOKEN_KEY",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "TLS_CLIENT_CA_FILE",
}
# Volume types the restricted profile allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_pod_meets_pod_security_restricted(kustomization: str) -> None:
    spec = pod_spec(render(kustomization))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert spec.get(key, False) is False, key
    pod_ctx = spec["securityContext"]
    assert pod_ctx["runAsNonRoot"] is True
    assert pod_ctx["runAsUser"] > 0
    assert pod_ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    for volume in spec.get("volumes", []):
        assert set(volume) - {"name"} <= RESTRICTED_VOLUME_TYPES, volume
    for container in spec["containers"] + spec.get("initContainers", []):
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx.get("privileged", False) is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        assert not ctx["capabilities"].get("add")
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx.get("runAsUser", pod_ctx["runAsUser"]) > 0
        assert not any(p.get("hostPort") for p in container.get("ports", []))


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_namespace_enforces_restricted(kustomization: str) -> None:
    namespace = one(render(kustomization), "Namespace", "jobscheduler")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_only_tmp_is_writable_and_it_is_an_emptydir() -> None:
    docs = render("base")
    mounts = server_container(docs)["volumeMounts"]
    assert [m["mountPath"] for m in mounts] == ["/tmp"]
    volumes = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    assert "emptyDir" in volumes[mounts[0]["name"]]


def test_token_is_mounted_into_the_service_pod_only() -> None:
    docs = render("base")
    assert one(docs, "ServiceAccount", "jobscheduler")["automountServiceAccountToken"] is False
    spec = pod_spec(docs)
    assert spec["serviceAccountName"] == "jobscheduler"
    assert spec["automountServiceAccountToken"] is True


def test_readiness_is_a_grpc_probe_of_the_api_service() -> None:
    container = server_container(render("base"))
    assert container["readinessProbe"]["grpc"] == {
        "port": GRPC_PORT,
        "service": "jobscheduler.JobScheduler",
    }


def test_liveness_does_not_depend_on_kubernetes() -> None:
    # gRPC health (overall and per service) turns NOT_SERVING while Kubernetes is unreachable;
    # liveness failing then would restart every replica during an API-server outage.
    docs = render("base")
    container = server_container(docs)
    for probe in ("livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": GRPC_PORT, "metrics": METRICS_PORT}
    assert config_data(docs)["METRICS_PORT"] == str(METRICS_PORT)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_grace_period_covers_prestop_delay_drain_and_watchdog(kustomization: str) -> None:
    docs = render(kustomization)
    spec = pod_spec(docs)
    pre_stop_seconds = server_container(docs)["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain_seconds = float(config_data(docs)["SHUTDOWN_GRACE_SECONDS"])
    assert pre_stop_seconds >= 1, "endpoints need time to drop before the drain starts"
    # The hung-drain watchdog fires SHUTDOWN_OVERRUN_SECONDS after the grace: before SIGKILL.
    assert (
        spec["terminationGracePeriodSeconds"]
        > pre_stop_seconds + drain_seconds + SHUTDOWN_OVERRUN_SECONDS
    )


def test_base_runs_two_spread_replicas_with_a_budget() -> None:
    docs = render("base")
    deployment = one(docs, "Deployment", "jobscheduler")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"] == SERVER_LABELS
    assert deployment["spec"]["template"]["metadata"]["labels"].items() >= SERVER_LABELS.items()
    spread_keys = {c["topologyKey"] for c in pod_spec(docs)["topologySpreadConstraints"]}
    assert spread_keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    budget = one(docs, "PodDisruptionBudget", "jobscheduler")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == SERVER_LABELS


def test_container_has_requests_and_a_memory_limit() -> None:
    resources = server_container(render("base"))["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert "memory" in resources["limits"]


def test_service_exposes_grpc_and_metrics() -> None:
    service = one(render("base"), "Service", "jobscheduler")
    assert service["spec"]["selector"] == SERVER_LABELS
    ports = {
        p["name"]: (p["port"], p["targetPort"], p["appProtocol"]) for p in service["spec"]["ports"]
    }
    assert ports == {
        "grpc": (GRPC_PORT, "grpc", "grpc"),
        "metrics": (METRICS_PORT, "metrics", "http"),
    }


def test_network_policy_admits_only_grpc_and_metrics_and_egresses_to_dns_and_api() -> None:
    policy = one(render("base"), "NetworkPolicy", "jobscheduler")["spec"]
    assert policy["podSelector"]["matchLabels"] == SERVER_LABELS
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    ingress_ports = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
    assert ingress_ports == {GRPC_PORT, METRICS_PORT}
    egress_ports = {(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]}
    assert egress_ports == {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443)}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_configmap_sets_every_setting_with_values_that_load(
    kustomization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = config_data(render(kustomization))
    env_names = {name.upper() for name in Settings.model_fields} | {
        f"TIMER_{name}".upper() for name in TimerSettings.model_fields
    }
    assert set(data) == env_names - NOT_IN_CONFIGMAP
    for name in env_names:
        monkeypatch.delenv(name, raising=False)
    for name, value in data.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert TimerHandler().default_image(settings) == data["TIMER_IMAGE"]
    assert settings.in_cluster is True
    assert settings.grpc_port == GRPC_PORT
    assert settings.k8s_namespace == data["K8S_NAMESPACE"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_timer_jobs_run_the_service_image(kustomization: str) -> None:
    docs = render(kustomization)
    assert config_data(docs)["TIMER_IMAGE"] == server_container(docs)["image"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_images_are_pinned_to_a_tag(kustomization: str) -> None:
    image = server_container(render(kustomization))["image"]
    assert re.fullmatch(r"[^:@]+(:[\w][\w.-]*)(@sha256:[0-9a-f]{64})?", image), image
    assert not image.endswith(":latest")


def test_kind_overlay_uses_the_locally_loaded_image() -> None:
    docs = render("overlays/kind")
    container = server_container(docs)
    assert container["image"] == "jobscheduler:dev"
    assert container["imagePullPolicy"] == "Never"
    assert not of_kind(docs, "PodDisruptionBudget"), (
        "one replica: a minAvailable 1 budget blocks drains"
    )


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_carries_the_recommended_labels(kustomization: str) -> None:
    for doc in render(kustomization):
        labels = doc["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/name") == "jobscheduler", doc["metadata"]["name"]
        assert labels.get("app.kubernetes.io/part-of") == "jobscheduler"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_no_manifest_uses_host_paths_or_privileged_settings(kustomization: str) -> None:
    offending = [
        path
        for doc in render(kustomization)
        for path, value in walk(doc)
        if path.endswith((".hostPath", ".privileged")) and value not in (None, False)
    ]
    assert not offending


def test_base_deploys_the_release_of_this_source_tree() -> None:
    # A version bump (BASE_VERSION, which the wheel's version builds on) must move the
    # manifests' image (and TIMER_IMAGE) with it.
    assert server_container(render("base"))["image"] == f"jobscheduler:{BASE_VERSION}"
