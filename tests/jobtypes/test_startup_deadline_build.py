"""The startup deadline as the build writes it: a label the sweep selects Jobs by."""

from __future__ import annotations

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.config import Settings
from jobscheduler.jobtypes.fieldtable import validate_request
from jobscheduler.jobtypes.metadata import STARTUP_DEADLINE_LABEL

from .builders import REGISTRY, container_request, manifest_for

DEFAULTING = Settings(in_cluster=False, default_startup_deadline_seconds=300)


def _deadline_label(**execution: int) -> str | None:
    req = container_request(execution=pb.ExecutionOptions(**execution))
    labels: dict[str, str] = manifest_for(req, settings=DEFAULTING)["metadata"]["labels"]
    return labels.get(STARTUP_DEADLINE_LABEL)


def test_the_request_wins_over_the_operator_default_and_zero_turns_it_off() -> None:
    assert _deadline_label() == "300"
    assert _deadline_label(startup_deadline_seconds=30) == "30"
    assert _deadline_label(startup_deadline_seconds=0) is None


def test_no_deadline_by_default() -> None:
    labels = manifest_for(container_request())["metadata"]["labels"]
    assert STARTUP_DEADLINE_LABEL not in labels


def test_every_run_of_a_schedule_carries_the_deadline() -> None:
    req = container_request(
        schedule=pb.Schedule(cron="*/5 * * * *"),
        execution=pb.ExecutionOptions(startup_deadline_seconds=30),
    )
    template = manifest_for(req)["spec"]["jobTemplate"]
    assert template["metadata"]["labels"][STARTUP_DEADLINE_LABEL] == "30"


def test_a_negative_deadline_names_the_field() -> None:
    req = container_request(execution=pb.ExecutionOptions(startup_deadline_seconds=-1))
    assert [v.field for v in validate_request(req, REGISTRY)] == [
        "execution.startup_deadline_seconds"
    ]
