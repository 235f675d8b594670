from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import ConfigError, Settings
from jobscheduler.jobtypes.base import JSON, BuildContext
from jobscheduler.jobtypes.manifest import build_manifest
from jobscheduler.jobtypes.metadata import (
    JOB_ID_LABEL,
    JOB_TYPE_LABEL,
    MANAGED_BY_LABEL,
    NAME_LABEL,
    SCHEDULE_ID_LABEL,
    START_AT_LABEL,
)
from jobscheduler.jobtypes.timer import TimerHandler
from jobscheduler.timer.runner import TimerConfig

from .builders import (
    REGISTRY,
    container,
    container_request,
    manifest_for,
    pod_spec,
    timer_request,
)

KUBERNETES_VERSION = "1.33"

REQUESTS = {
    "timer minimal": timer_request(),
    "timer everything": timer_request(
        timer={
            "control_plane_endpoint": "http://control-plane:50053",
            "image": "registry.example/timer:1",
            "log_level": "debug",
            "env": {"EXTRA": "1"},
        },
        labels={"team": "platform", "example.com/part-of": "ci"},
        annotations={"example.com/ticket": "OPS-1"},
        resources=pb.ResourceRequirements(
            requests=pb.ResourceList(cpu="250m", memory="128Mi", storage="1Gi"),
            limits=pb.ResourceList(cpu="1", memory="256Mi", storage="2Gi"),
        ),
        created_by="alice",
    ),
    "container batch": container_request(
        execution=pb.ExecutionOptions(
            timeout_seconds=600,
            max_retries=5,
            exit_code_rules=[
                pb.ExitCodeRule(action=pb.ExitCodeRule.ACTION_FAIL_JOB, exit_codes=[42, 3]),
                pb.ExitCodeRule(action=pb.ExitCodeRule.ACTION_IGNORE, exit_codes=[137]),
            ],
            ttl_seconds_after_finished=60,
            priority_class_name="batch-low",
            parallelism=3,
            completions=10,
            indexed=True,
        )
    ),
    "container suspended": container_request(
        container={"working_dir": "/work", "env": {"B": "2", "A": "1"}},
        execution=pb.ExecutionOptions(start_suspended=True),
    ),
    "delayed start": timer_request(start_at={"seconds": 2_000_000_000}),
    "schedule": container_request(
        schedule=pb.Schedule(
            cron="*/5 * * * *",
            time_zone="Europe/Paris",
            concurrency_policy=pb.CONCURRENCY_POLICY_REPLACE,
            starting_deadline_seconds=30,
            successful_runs_history_limit=2,
            failed_runs_history_limit=1,
        ),
        execution=pb.ExecutionOptions(start_suspended=True, max_retries=0),
    ),
    "schedule macro": timer_request(schedule=pb.Schedule(cron="@hourly")),
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_every_generated_manifest_passes_the_upstream_schema(case: str) -> None:
    manifest = manifest_for(REQUESTS[case])
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


FORBIDDEN_KEYS = {
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "hostPath",
    "hostPort",
    "serviceAccountName",
    "serviceAccount",
    "nodeName",
    "nodeSelector",
    "affinity",
    "tolerations",
    "runtimeClassName",
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_manifests_never_contain_privileged_or_placement_fields(case: str) -> None:
    keys = {key for key, _ in _walk(manifest_for(REQUESTS[case]))}
    assert keys.isdisjoint(FORBIDDEN_KEYS)


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_pods_meet_pod_security_restricted(case: str) -> None:
    manifest = manifest_for(REQUESTS[case])
    spec = pod_spec(manifest)
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert isinstance(spec["securityContext"]["runAsUser"], int)
    assert spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = container(manifest)["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert all("emptyDir" in volume for volume in spec.get("volumes", []))


def test_timer_container_follows_the_seed_contract() -> None:
    req = timer_request(timer={"control_plane_endpoint": "http://cp:50053", "env": {"EXTRA": "x"}})
    manifest = manifest_for(req, job_id="job-abc123")
    main = container(manifest)
    assert main["image"] == "timer-service:latest"
    assert main["command"] == ["jobscheduler", "timer"]
    assert main["env"] == [
        {"name": "TIMER_DURATION_SECONDS", "value": "300"},
        {"name": "TIMER_NAME", "value": "build-timeout"},
        {"name": "CONTROL_PLANE_ENDPOINT", "value": "http://cp:50053"},
        {"name": "TIMER_ID", "value": "job-abc123"},
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "EXTRA", "value": "x"},
    ]
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    # duration + TIMER_GRACE_SECONDS (60 by default)
    assert manifest["spec"]["activeDeadlineSeconds"] == 360


def test_timer_image_and_grace_come_from_the_timer_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The deployment's variable names (k8s/base/configmap.yaml), read by the timer type.
    monkeypatch.setenv("TIMER_IMAGE", "ghcr.io/acme/jobscheduler:1.0")
    monkeypatch.setenv("TIMER_GRACE_SECONDS", "5")
    handler = TimerHandler()
    ctx = BuildContext(job_id="job-test1", namespace="default", settings=Settings())
    manifest = build_manifest(timer_request(), handler, ctx, request_hash="hash")
    assert container(manifest)["image"] == "ghcr.io/acme/jobscheduler:1.0"
    assert manifest["spec"]["activeDeadlineSeconds"] == 305
    assert handler.default_image(Settings()) == "ghcr.io/acme/jobscheduler:1.0"


def test_a_bad_timer_setting_names_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIMER_GRACE_SECONDS", "-1")
    with pytest.raises(ConfigError, match="TIMER_GRACE_SECONDS"):
        TimerHandler()


def test_an_explicit_timeout_wins_over_the_timer_deadline() -> None:
    manifest = manifest_for(timer_request(execution=pb.ExecutionOptions(timeout_seconds=42)))
    assert manifest["spec"]["activeDeadlineSeconds"] == 42


def test_container_job_passes_its_command_through() -> None:
    manifest = manifest_for(REQUESTS["container suspended"])
    main = container(manifest)
    assert main["image"] == "busybox:1.36"
    assert main["command"] == ["sh", "-c"]
    assert main["args"] == ["echo hi"]
    assert main["workingDir"] == "/work"
    assert main["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert "readOnlyRootFilesystem" not in main["securityContext"]
    assert manifest["spec"]["suspend"] is True
    assert "activeDeadlineSeconds" not in manifest["spec"]


def test_resources_default_from_settings_and_storage_is_ephemeral() -> None:
    settings = Settings(default_cpu_limit="2", default_memory_limit="1Gi")
    assert container(manifest_for(timer_request(), settings=settings))["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
    resources = container(manifest_for(REQUESTS["timer everything"]))["resources"]
    assert resources == {
        "requests": {"cpu": "250m", "memory": "128Mi", "ephemeral-storage": "1Gi"},
        "limits": {"cpu": "1", "memory": "256Mi", "ephemeral-storage": "2Gi"},
    }


def test_execution_options_map_to_job_spec() -> None:
    manifest = manifest_for(REQUESTS["container batch"])
    spec = manifest["spec"]
    assert spec["activeDeadlineSeconds"] == 600
    assert spec["backoffLimit"] == 5
    assert spec["ttlSecondsAfterFinished"] == 60
    assert spec["parallelism"] == 3
    assert spec["completions"] == 10
    assert spec["completionMode"] == "Indexed"
    assert pod_spec(manifest)["priorityClassName"] == "batch-low"
    assert spec["podFailurePolicy"]["rules"] == [
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "container", "operator": "In", "values": [3, 42]},
        },
        {
            "action": "Ignore",
            "onExitCodes": {"containerName": "container", "operator": "In", "values": [137]},
        },
    ]


def test_defaults_for_retries_and_retention_come_from_settings() -> None:
    settings = Settings(default_backoff_limit=1, job_ttl_seconds=3600)
    spec = manifest_for(timer_request(), settings=settings)["spec"]
    assert spec["backoffLimit"] == 1
    assert spec["ttlSecondsAfterFinished"] == 3600
    assert "suspend" not in spec


def test_labels_identify_the_job_and_keep_user_labels() -> None:
    manifest = manifest_for(REQUESTS["timer everything"], job_id="job-x")
    expected = {
        "team": "platform",
        "example.com/part-of": "ci",
        MANAGED_BY_LABEL: "jobscheduler",
        JOB_TYPE_LABEL: "timer",
        JOB_ID_LABEL: "job-x",
        NAME_LABEL: "my-timer",
    }
    assert manifest["metadata"]["labels"] == expected
    assert manifest["spec"]["template"]["metadata"]["labels"] == expected
    annotations = manifest["metadata"]["annotations"]
    assert annotations["example.com/ticket"] == "OPS-1"
    assert annotations["jobscheduler.io/name"] == "my-timer"
    assert annotations["jobscheduler.io/created-by"] == "alice"
    assert annotations["jobscheduler.io/request-hash"] == "hash"


def test_delayed_start_is_a_suspended_job_with_its_start_time() -> None:
    manifest = manifest_for(REQUESTS["delayed start"])
    assert manifest["spec"]["suspend"] is True
    assert manifest["metadata"]["labels"][START_AT_LABEL] == "2000000000"
    assert manifest["metadata"]["annotations"]["jobscheduler.io/start-at"] == "2033-05-18T03:33:20Z"


def test_a_schedule_is_a_cronjob_whose_runs_name_the_schedule() -> None:
    manifest = manifest_for(REQUESTS["schedule"], job_id="nightly")
    assert manifest["kind"] == "CronJob"
    spec = manifest["spec"]
    assert spec["schedule"] == "*/5 * * * *"
    assert spec["timeZone"] == "Europe/Paris"
    assert spec["concurrencyPolicy"] == "Replace"
    assert spec["startingDeadlineSeconds"] == 30
    assert spec["successfulJobsHistoryLimit"] == 2
    assert spec["failedJobsHistoryLimit"] == 1
    assert spec["suspend"] is True
    assert "suspend" not in spec["jobTemplate"]["spec"]
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    run_labels = spec["jobTemplate"]["metadata"]["labels"]
    assert run_labels[SCHEDULE_ID_LABEL] == "nightly"
    assert JOB_ID_LABEL not in run_labels
    assert spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"][SCHEDULE_ID_LABEL] == (
        "nightly"
    )
    assert "jobscheduler.io/config" in spec["jobTemplate"]["metadata"]["annotations"]


def test_schedule_concurrency_defaults_to_forbid() -> None:
    manifest = manifest_for(REQUESTS["schedule macro"])
    assert manifest["spec"]["concurrencyPolicy"] == "Forbid"
    assert manifest["spec"]["suspend"] is False


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_details_read_back_by_the_handler_that_wrote_them(case: str) -> None:
    req = REQUESTS[case]
    manifest: JSON = manifest_for(req)
    handler = REGISTRY.by_request_field(req.WhichOneof("job_config") or "")
    assert handler is not None
    details = handler.read_details(manifest)
    if isinstance(details, pb.TimerJobDetails):
        assert details.duration_seconds == req.timer_job.duration_seconds
        assert details.timer_name == req.timer_job.timer_name
        assert details.control_plane_endpoint == req.timer_job.control_plane_endpoint
        assert details.image == (req.timer_job.image or "timer-service:latest")
    else:
        assert isinstance(details, pb.ContainerJobDetails)
        assert details.image == req.container_job.image
        assert list(details.command) == list(req.container_job.command)
        assert list(details.args) == list(req.container_job.args)
        assert details.working_dir == req.container_job.working_dir


def test_read_back_survives_a_hand_edited_annotation() -> None:
    manifest = manifest_for(timer_request())
    manifest["metadata"]["annotations"]["jobscheduler.io/config"] = "{not json"
    details = REGISTRY.by_name("timer").read_details(manifest)  # type: ignore[union-attr]
    assert isinstance(details, pb.TimerJobDetails)
    assert details.duration_seconds == 0
    assert details.image == "timer-service:latest"


def test_allowed_user_annotations_reach_the_pods_but_service_annotations_do_not() -> None:
    allowed = Settings(pod_annotation_allowed_prefixes=("example.com/",))
    manifest = manifest_for(REQUESTS["timer everything"], settings=allowed)
    template_annotations = manifest["spec"]["template"]["metadata"]["annotations"]
    assert template_annotations == {"example.com/ticket": "OPS-1"}
    assert "annotations" not in manifest_for(timer_request())["spec"]["template"]["metadata"]


@pytest.mark.parametrize(
    "endpoint",
    ["http://control-plane:50053", "https://cp.example.com/report", "control-plane:50053"],
)
def test_the_timer_runner_accepts_the_environment_the_handler_builds(endpoint: str) -> None:
    req = timer_request(timer={"control_plane_endpoint": endpoint, "log_level": "DEBUG"})
    env = {
        item["name"]: item["value"] for item in container(manifest_for(req, job_id="job-7"))["env"]
    }
    config = TimerConfig.from_env(env)
    assert config.duration_seconds == 300
    assert config.timer_name == "build-timeout"
    assert config.timer_id == "job-7"
    assert config.log_level == "debug"
    assert config.endpoint.startswith(("http://", "https://"))


def test_a_limit_below_the_default_request_lowers_the_request() -> None:
    # As Kubernetes does for an unset request: the request follows the limit, so a small
    # limit is not refused for a default the user never chose.
    req = container_request(resources=pb.ResourceRequirements(limits=pb.ResourceList(cpu="50m")))
    resources = container(manifest_for(req))["resources"]
    assert resources["requests"]["cpu"] == "50m"
    assert resources["limits"]["cpu"] == "50m"
    assert resources["requests"]["memory"] == "64Mi"


def test_a_request_above_the_default_limit_raises_the_limit() -> None:
    settings = Settings(default_cpu_limit="500m", default_memory_limit="128Mi")
    req = container_request(
        resources=pb.ResourceRequirements(requests=pb.ResourceList(cpu="2", memory="1Gi"))
    )
    resources = container(manifest_for(req, settings=settings))["resources"]
    assert resources["requests"] == {"cpu": "2", "memory": "1Gi"}
    assert resources["limits"] == {"cpu": "2", "memory": "1Gi"}
    small = container_request(
        resources=pb.ResourceRequirements(requests=pb.ResourceList(cpu="100m"))
    )
    assert container(manifest_for(small, settings=settings))["resources"]["limits"]["cpu"] == "500m"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("nightly-build", "nightly-build"),
        ("Nightly build #3", "Nightly-build--3"),
        ("-- weird --", "weird"),
        ("x" * 80, "x" * 63),
        ("ünïcode", "n-code"),
        ("!!!", None),
    ],
)
def test_the_name_is_also_a_valid_label_for_kubectl_selectors(name: str, label: str | None) -> None:
    request = timer_request()
    request.name = name
    labels = manifest_for(request)["metadata"]["labels"]
    assert labels.get(NAME_LABEL) == label
    if label is not None:
        assert kubesyntax.label_value(label) is None


def test_the_container_is_named_after_the_job_type() -> None:
    assert container(manifest_for(timer_request()))["name"] == "timer"
