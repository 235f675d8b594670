"""Inputs at and past the edges of what can be represented: refused with a field violation,
never an exception inside validation or the builder (which the edge would answer INTERNAL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.fieldtable import validate_request

from .builders import REGISTRY, manifest_for, timer_request


def violations(req: pb.ScheduleJobRequest) -> dict[str, str]:
    return {v.field: v.description for v in validate_request(req, REGISTRY)}


@pytest.mark.parametrize(
    "zone",
    [
        "A" * 300,  # longer than a file name may be: OSError from the file system
        "Europe/" + "x" * 5000,
        "Local",  # Kubernetes refuses the host's zone, whatever it is
        "local",
        "../../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "Europe/Paris\n",
        "Europe/Paris\x00",
    ],
)
def test_time_zones_that_are_no_iana_name_are_refused(zone: str) -> None:
    req = timer_request(schedule=pb.Schedule(cron="0 2 * * *", time_zone=zone))
    assert violations(req) == {
        "schedule.time_zone": "must be an IANA time zone such as Europe/Paris"
    }


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires"])
def test_iana_time_zones_are_accepted(zone: str) -> None:
    req = timer_request(schedule=pb.Schedule(cron="0 2 * * *", time_zone=zone))
    assert violations(req) == {}


def test_start_at_whose_rounded_second_is_past_9999_is_refused() -> None:
    last = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    req = timer_request(start_at=Timestamp(seconds=last, nanos=1))
    assert violations(req) == {"start_at": "must be a time between 1970 and 9999"}


def test_start_at_on_the_last_second_is_accepted_and_built() -> None:
    last = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    req = timer_request(start_at=Timestamp(seconds=last - 1, nanos=1))
    assert violations(req) == {}
    manifest = manifest_for(req)
    assert manifest["metadata"]["labels"]["jobscheduler.io/start-at"] == str(last)
    assert manifest["metadata"]["annotations"]["jobscheduler.io/start-at"] == (
        "9999-12-31T23:59:59Z"
    )


@pytest.mark.parametrize(
    "value",
    ["1e9999999", "1e-9999999", "9" * 400, "1e19", "1E3", "10Ei", "0.5" + "0" * 300],
)
@pytest.mark.parametrize("group", ["requests", "limits"])
def test_quantities_out_of_range_are_refused(group: str, value: str) -> None:
    req = timer_request(resources=pb.ResourceRequirements(**{group: pb.ResourceList(cpu=value)}))
    found = violations(req)
    assert list(found) == [f"resources.{group}.cpu"]


@pytest.mark.parametrize("value", ["500m", "2", "1e3", "128Mi", "1.5Gi", "0.1", "7Ei"])
def test_ordinary_quantities_are_accepted(value: str) -> None:
    req = timer_request(resources=pb.ResourceRequirements(limits=pb.ResourceList(memory=value)))
    assert violations(req) == {}
