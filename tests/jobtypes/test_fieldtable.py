"""The field table: one source for validation, the build and the way back to request fields.

The drift checks build manifests from requests that set every field and compare them with the
table: every manifest path is written by a row, every row's path is written, and every request
field has a row. A new request field or manifest path without a row fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.errors import FieldViolation, InvalidArgument
from jobscheduler.jobtypes.base import JSON
from jobscheduler.jobtypes.fieldtable import (
    FIELD_TABLE,
    JOB_TYPE,
    kubernetes_violations,
    manifest_paths,
)

from .builders import REGISTRY, container_request, manifest_for, timer_request

CONTAINER = REGISTRY.by_name("container")
TIMER = REGISTRY.by_name("timer")
assert CONTAINER is not None and TIMER is not None

EVERY_EXECUTION_OPTION = pb.ExecutionOptions(
    timeout_seconds=600,
    max_retries=2,
    exit_code_rules=[pb.ExitCodeRule(action=pb.ExitCodeRule.ACTION_FAIL_JOB, exit_codes=[3])],
    ttl_seconds_after_finished=60,
    priority_class_name="batch-low",
    parallelism=2,
    completions=4,
    indexed=True,
    start_suspended=True,
    startup_deadline_seconds=120,
)
EVERY_SCHEDULE_OPTION = pb.Schedule(
    cron="0 2 * * *",
    time_zone="Europe/Berlin",
    concurrency_policy=pb.CONCURRENCY_POLICY_ALLOW,
    starting_deadline_seconds=30,
    successful_runs_history_limit=2,
    failed_runs_history_limit=1,
)
COMMON = {
    "job_id": "job-full",
    "namespace": "team-a",
    "created_by": "alice",
    "labels": {"team": "infra"},
    "annotations": {"example.com/ticket": "OPS-1"},
    "resources": pb.ResourceRequirements(
        requests=pb.ResourceList(cpu="250m", memory="128Mi", storage="1Gi"),
        limits=pb.ResourceList(cpu="1", memory="256Mi", storage="2Gi"),
    ),
}


# User annotations reach the pods only under a prefix the operator allows: allow COMMON's, so
# the full manifests have every path.
FULL_SETTINGS = Settings(pod_annotation_allowed_prefixes=("example.com/",))


def full_requests() -> list[pb.ScheduleJobRequest]:
    job = timer_request(execution=EVERY_EXECUTION_OPTION, **COMMON)
    delayed = container_request(**COMMON)
    delayed.start_at.FromSeconds(1_900_000_000)
    schedule = container_request(
        execution=EVERY_EXECUTION_OPTION, schedule=EVERY_SCHEDULE_OPTION, **COMMON
    )
    return [job, delayed, schedule]


def leaf_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaf_paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for index, item in enumerate(value):
            yield from leaf_paths(item, f"{path}[{index}]")
    else:
        yield path


def covered(path: str, prefixes: list[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in prefixes)


ROW_PATHS = [path for row in FIELD_TABLE for path in manifest_paths(row)]
# What build_manifest writes itself: the object's envelope and the service's own bookkeeping.
ENVELOPE = [
    "apiVersion",
    "kind",
    "spec.suspend",  # a CronJob's suspend is execution.start_suspended (row of that field)
    "spec.template.spec.containers[0].name",
    "spec.jobTemplate.spec.template.spec.containers[0].name",
]


@pytest.mark.parametrize("req", full_requests(), ids=["job", "delayed", "schedule"])
def test_every_manifest_path_is_written_by_a_row(req: pb.ScheduleJobRequest) -> None:
    manifest: JSON = manifest_for(req, settings=FULL_SETTINGS)
    uncovered = [p for p in leaf_paths(manifest) if not covered(p, ROW_PATHS + ENVELOPE)]
    assert uncovered == []


def test_every_row_path_appears_in_some_full_manifest() -> None:
    built = [
        p for req in full_requests() for p in leaf_paths(manifest_for(req, settings=FULL_SETTINGS))
    ]
    for row in FIELD_TABLE:
        for path in row.manifest:
            expanded = manifest_paths(type(row)(row.request, (path,)))
            assert any(covered(p, expanded) for p in built), f"{row.request}: {path} not built"


def request_leaf_fields(descriptor: Descriptor, path: str = "") -> Iterator[str]:
    for field in descriptor.fields:
        name = f"{path}.{field.name}" if path else field.name
        if field.containing_oneof is not None and field.containing_oneof.name == "job_config":
            yield JOB_TYPE
        elif field.message_type is not None and name in ("execution", "schedule"):
            yield from request_leaf_fields(field.message_type, name)
        else:
            yield name


def test_every_request_field_has_a_row() -> None:
    rows = {row.request for row in FIELD_TABLE}
    missing = set(request_leaf_fields(pb.ScheduleJobRequest.DESCRIPTOR)) - rows
    assert missing == set()


def test_kubernetes_field_causes_are_readdressed_to_request_fields() -> None:
    rejected = InvalidArgument(
        [
            FieldViolation("metadata.name", "too long"),
            FieldViolation("spec.template.spec.containers[0].image", "required"),
            FieldViolation("spec.template.spec.containers[0].resources.requests", "bad"),
            FieldViolation("spec.somethingElse", "odd"),
        ]
    )
    mapped = kubernetes_violations(rejected, CONTAINER)
    assert [v.field for v in mapped.violations] == [
        "job_id",
        "container_job",
        "resources",
        "spec.somethingElse",
    ]


def test_kubernetes_causes_on_execution_and_schedule_options_name_those_options() -> None:
    rejected = InvalidArgument(
        [
            FieldViolation("spec.podFailurePolicy.rules", "Too many: 21: must have at most 20"),
            FieldViolation("spec.activeDeadlineSeconds", "bad"),
            FieldViolation("spec.jobTemplate.spec.backoffLimit", "bad"),
            FieldViolation("spec.ttlSecondsAfterFinished", "bad"),
            FieldViolation("spec.completions", "bad"),
            FieldViolation("spec.startingDeadlineSeconds", "bad"),
            FieldViolation("spec.successfulJobsHistoryLimit", "bad"),
            FieldViolation("spec.jobTemplate.spec.template.spec.priorityClassName", "bad"),
        ]
    )
    mapped = kubernetes_violations(rejected, TIMER)
    assert [v.field for v in mapped.violations] == [
        "execution.exit_code_rules",
        "execution.timeout_seconds",
        "execution.max_retries",
        "execution.ttl_seconds_after_finished",
        "execution.completions",
        "schedule.starting_deadline_seconds",
        "schedule.successful_runs_history_limit",
        "execution.priority_class_name",
    ]


def test_a_cause_on_what_the_service_fixed_keeps_its_manifest_path() -> None:
    # No request field sets the security context: pretending one did would mislead.
    rejected = InvalidArgument([FieldViolation("spec.template.spec.securityContext", "bad")])
    assert kubernetes_violations(rejected, TIMER).violations == rejected.violations
