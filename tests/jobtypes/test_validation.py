from __future__ import annotations

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.errors import FieldViolation
from jobscheduler.jobtypes.fieldtable import validate_request

from .builders import REGISTRY, container_request, timer_request


def fields(req: pb.ScheduleJobRequest) -> list[str]:
    return [v.field for v in validate_request(req, REGISTRY)]


def test_valid_requests_have_no_violations() -> None:
    assert validate_request(timer_request(), REGISTRY) == []
    assert validate_request(container_request(), REGISTRY) == []
    assert validate_request(timer_request(job_id="job-abc123", namespace="team-a"), REGISTRY) == []


def test_all_violations_are_reported_at_once_with_field_paths() -> None:
    req = timer_request(
        job_id="Bad_Id",
        namespace="Not A Namespace",
        labels={"bad key": "v", "jobscheduler.io/job-id": "x", "ok": "bad value!"},
        annotations={"kubernetes.io/owner": "me"},
        resources=pb.ResourceRequirements(
            requests=pb.ResourceList(cpu="lots", memory="2Gi"),
            limits=pb.ResourceList(memory="1Gi", storage="-1"),
        ),
        timer={
            "duration_seconds": 0,
            "control_plane_endpoint": "ftp://x",
            "log_level": "loud",
            "image": "bad image",
            "env": {"TIMER_ID": "x", "1bad": "y"},
        },
    )
    assert validate_request(req, REGISTRY) == [
        FieldViolation(
            "job_id",
            "must be a DNS label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit",
        ),
        FieldViolation(
            "namespace",
            "must be a DNS label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit",
        ),
        FieldViolation("timer_job.duration_seconds", "must be between 1 and 86400 seconds"),
        FieldViolation(
            "timer_job.control_plane_endpoint",
            "must be an http:// or https:// URL with a host (or host:port)",
        ),
        FieldViolation(
            "timer_job.image",
            "must be a container image reference such as registry.example/team/app:1.2",
        ),
        FieldViolation("timer_job.log_level", "must be one of trace, debug, info, warn, error"),
        FieldViolation(
            'timer_job.env["1bad"]',
            "variable name must be a C identifier: letters, digits and '_', "
            "not starting with a digit",
        ),
        FieldViolation(
            'timer_job.env["TIMER_ID"]',
            "is part of this job type's contract and cannot be set here",
        ),
        FieldViolation(
            'labels["bad key"]',
            "key name part must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit",
        ),
        FieldViolation(
            'labels["jobscheduler.io/job-id"]', "key is reserved for jobscheduler/Kubernetes"
        ),
        FieldViolation(
            'labels["ok"]',
            "value must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit",
        ),
        FieldViolation(
            'annotations["kubernetes.io/owner"]', "key is reserved for jobscheduler/Kubernetes"
        ),
        FieldViolation(
            "resources.requests.cpu", "must be a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi"
        ),
        FieldViolation(
            "resources.limits.storage",
            "must be a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi",
        ),
        FieldViolation("resources.requests.memory", "must not exceed the limit"),
    ]


def test_a_request_without_a_job_type_names_the_oneof() -> None:
    assert validate_request(pb.ScheduleJobRequest(name="x"), REGISTRY) == [
        FieldViolation(
            "job_config",
            "set one job type: container_job, health_check_job, timer_job, webhook_job",
        )
    ]


def test_container_image_is_required() -> None:
    assert fields(container_request(container={"image": ""})) == ["container_job.image"]


@pytest.mark.parametrize(
    ("execution", "expected"),
    [
        (pb.ExecutionOptions(timeout_seconds=-1), ["execution.timeout_seconds"]),
        (pb.ExecutionOptions(max_retries=-1), ["execution.max_retries"]),
        (
            pb.ExecutionOptions(ttl_seconds_after_finished=-5),
            ["execution.ttl_seconds_after_finished"],
        ),
        (pb.ExecutionOptions(priority_class_name="Not_Valid"), ["execution.priority_class_name"]),
        (
            pb.ExecutionOptions(parallelism=-2, completions=-1),
            ["execution.parallelism", "execution.completions"],
        ),
        (pb.ExecutionOptions(indexed=True), ["execution.completions"]),
        (
            pb.ExecutionOptions(exit_code_rules=[pb.ExitCodeRule(exit_codes=[0, 3, 3])]),
            [
                "execution.exit_code_rules[0].action",
                "execution.exit_code_rules[0].exit_codes",
                "execution.exit_code_rules[0].exit_codes",
            ],
        ),
        (
            pb.ExecutionOptions(
                exit_code_rules=[pb.ExitCodeRule(action=pb.ExitCodeRule.ACTION_IGNORE)]
            ),
            ["execution.exit_code_rules[0].exit_codes"],
        ),
    ],
)
def test_execution_options_are_checked(execution: pb.ExecutionOptions, expected: list[str]) -> None:
    assert fields(timer_request(execution=execution)) == expected


def test_schedule_problems_are_reported_together() -> None:
    req = container_request(
        job_id="a" * 53,
        schedule=pb.Schedule(
            cron="*/5 * * *",
            time_zone="Mars/Olympus",
            starting_deadline_seconds=-1,
            successful_runs_history_limit=-1,
        ),
        start_at={"seconds": 2_000_000_000},
    )
    assert fields(req) == [
        "job_id",
        "schedule.cron",
        "schedule.time_zone",
        "schedule.starting_deadline_seconds",
        "schedule.successful_runs_history_limit",
        "start_at",
    ]


@pytest.mark.parametrize("cron", ["*/5 * * * *", "0 3 * * 1-5", "@hourly", "@daily", "0 0 1 1 *"])
def test_valid_cron_expressions(cron: str) -> None:
    assert fields(container_request(schedule=pb.Schedule(cron=cron))) == []


@pytest.mark.parametrize("cron", ["", "* * * *", "61 * * * *", "@sometimes", "TZ=UTC * * * * *"])
def test_invalid_cron_expressions(cron: str) -> None:
    assert fields(container_request(schedule=pb.Schedule(cron=cron))) == ["schedule.cron"]


def test_job_id_limits_differ_for_jobs_and_schedules() -> None:
    assert fields(timer_request(job_id="a" * 63)) == []
    assert fields(timer_request(job_id="a" * 64)) == ["job_id"]
    assert fields(timer_request(job_id="a" * 53, schedule=pb.Schedule(cron="@daily"))) == ["job_id"]


@pytest.mark.parametrize(
    ("key", "reserved"),
    [
        ("jobscheduler.io/name", True),
        ("kubernetes.io/created-by", True),
        ("batch.kubernetes.io/job-name", True),
        ("node.k8s.io/x", True),
        ("job-name", True),
        ("sim.jobscheduler.io/exit-code", False),  # embedded-cluster simulation controls
        ("sidecar.istio.io/inject", False),
        ("example.com/owner", False),
        ("owner", False),
    ],
)
def test_reserved_annotation_keys(key: str, reserved: bool) -> None:
    violations = fields(timer_request(annotations={key: "x"}))
    assert violations == ([f'annotations["{key}"]'] if reserved else [])


def test_a_delayed_job_cannot_also_start_suspended() -> None:
    req = timer_request(
        start_at={"seconds": 2_000_000_000}, execution=pb.ExecutionOptions(start_suspended=True)
    )
    assert fields(req) == ["start_at"]


def test_a_start_time_beyond_the_calendar_is_a_violation_not_a_crash() -> None:
    # Timestamp.seconds is any int64; datetime ends in year 9999.
    far = container_request(start_at={"seconds": 10**12})
    assert fields(far) == ["start_at"]
    negative_nanos = container_request(start_at={"seconds": 1_900_000_000, "nanos": -1})
    assert fields(negative_nanos) == ["start_at"]


@pytest.mark.parametrize("name", ["system-node-critical", "system-cluster-critical", "system-x"])
def test_system_priority_classes_are_refused(name: str) -> None:
    # They preempt everything else on a node; Kubernetes reserves the system- prefix for them.
    req = container_request(execution={"priority_class_name": name})
    assert fields(req) == ["execution.priority_class_name"]
    assert fields(container_request(execution={"priority_class_name": "batch-low"})) == []


def test_a_trailing_newline_is_not_a_valid_name_label_env_var_or_quantity() -> None:
    # Python's "$" also matches before a final newline; Kubernetes refuses these values.
    req = container_request(
        job_id="job-abc\n",
        labels={"team": "infra\n"},
        annotations={"note\n": "x"},
        resources=pb.ResourceRequirements(requests=pb.ResourceList(cpu="100m\n")),
        container={"env": {"NAME\n": "x"}, "image": "busybox:1.36\n"},
    )
    assert fields(req) == [
        "job_id",
        "container_job.image",
        'container_job.env["NAME\n"]',
        'labels["team"]',
        'annotations["note\n"]',
        "resources.requests.cpu",
    ]


@pytest.mark.parametrize(
    "key",
    [
        "io.kubernetes.cri-o.Devices",
        "io.kubernetes.cri-o.userns-mode",
        "io.katacontainers.config.hypervisor.kernel_params",
    ],
)
def test_container_runtime_annotations_are_reserved(key: str) -> None:
    # They reach the pod, where CRI-O or Kata may honour them: devices, user namespaces,
    # hypervisor settings — privileges a request must not grant itself.
    assert fields(container_request(annotations={key: "x"})) == [f'annotations["{key}"]']
    assert fields(container_request(annotations={"io.example.team": "x"})) == []


@pytest.mark.parametrize(
    "cron", ["0 0 * * 7", "0 0 L * *", "0 0 * * 1#2", "0 0 15W * *", "0 0 * * 5L"]
)
def test_cron_extensions_kubernetes_refuses_are_invalid(cron: str) -> None:
    # The CronJob controller's parser (robfig/cron, standard) has days of week 0-6 and no
    # L, W or # extensions; croniter alone accepts them.
    assert fields(container_request(schedule=pb.Schedule(cron=cron))) == ["schedule.cron"]


@pytest.mark.parametrize("cron", ["0 0 ? * MON-FRI", "0 12 * JAN,JUL SUN", "*/15 9-17 * * 0-6"])
def test_cron_names_and_question_marks_are_valid(cron: str) -> None:
    assert fields(container_request(schedule=pb.Schedule(cron=cron))) == []


def test_at_most_twenty_exit_code_rules() -> None:
    # Kubernetes refuses a podFailurePolicy with more than 20 rules.
    rules = [{"action": pb.ExitCodeRule.ACTION_FAIL_JOB, "exit_codes": [n]} for n in range(1, 22)]
    assert fields(container_request(execution={"exit_code_rules": rules})) == [
        "execution.exit_code_rules"
    ]
    assert fields(container_request(execution={"exit_code_rules": rules[:20]})) == []


def test_enum_values_this_server_does_not_know_are_violations() -> None:
    # Proto3 enums are open: a newer client (or a raw number) can send any value, which must
    # be refused, not crash the manifest builder.
    rules = [{"action": 99, "exit_codes": [3]}]
    assert fields(container_request(execution={"exit_code_rules": rules})) == [
        "execution.exit_code_rules[0].action"
    ]
    schedule = pb.Schedule(cron="@hourly", concurrency_policy=99)  # type: ignore[arg-type]
    assert fields(container_request(schedule=schedule)) == ["schedule.concurrency_policy"]


def test_timer_strings_with_control_characters_are_invalid() -> None:
    # They become environment values: a NUL cannot be passed to a process at all, and a
    # newline in the endpoint is dropped by URL parsing but not by the runner.
    req = timer_request(
        timer={"timer_name": "build\x00", "control_plane_endpoint": "http://control\n-plane:1"}
    )
    assert fields(req) == ["timer_job.timer_name", "timer_job.control_plane_endpoint"]
