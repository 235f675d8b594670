"""Cron expressions: what the Kubernetes CronJob controller (robfig/cron v3) accepts, and a
message naming the cron field for what it refuses, instead of a 422 reaching the caller."""

from __future__ import annotations

import pytest

from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.validation import validate_request

from .builders import REGISTRY, timer_request


def cron_violation(cron: str) -> str | None:
    req = timer_request(schedule=pb.Schedule(cron=cron))
    found = {v.field: v.description for v in validate_request(req, REGISTRY)}
    assert set(found) <= {"schedule.cron"}
    return found.get("schedule.cron")


@pytest.mark.parametrize(
    "cron",
    [
        "*/5 * * * *",
        "0 2 * * *",
        "0 0 1,15 * *",
        "1-5/2 * * * *",
        "5/10 * * * *",  # a/n means a-max/n
        "00 05 * * *",
        "0 9 * * MON-FRI",
        "0 9 * * mon,wed,Fri",
        "0 0 1 jan-mar *",
        "0 0 1 JAN/2 *",
        "0 0 ? * 1",
        "0 0 1 * ?",
        "59 23 31 12 6",
        "  0 0 * * *  ",
        "0\t0 * * *",
        "*/100 * * * *",
        "@hourly",
        "@daily",
        "@midnight",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
    ],
)
def test_schedules_kubernetes_accepts_are_accepted(cron: str) -> None:
    assert cron_violation(cron) is None


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("5-1 * * * *", "minute range 5-1: start is after end"),
        ("0 23-1 * * *", "hour range 23-1: start is after end"),
        ("0 0 * * fri-mon", "day-of-week range fri-mon: start is after end"),
        ("60 * * * *", "minute value 60 is above the maximum 59"),
        ("0 24 * * *", "hour value 24 is above the maximum 23"),
        ("0 0 0 * *", "day-of-month value 0 is below the minimum 1"),
        ("0 0 32 * *", "day-of-month value 32 is above the maximum 31"),
        ("0 0 1 13 *", "month value 13 is above the maximum 12"),
        ("0 0 * * 7", "day-of-week value 7 is above the maximum 6"),
        ("*/0 * * * *", "minute step in */0 must be a positive number"),
        ("*/x * * * *", "minute step 'x' is not a number"),
        ("1/2/3 * * * *", "minute item 1/2/3: too many '/'"),
        ("1-2-3 * * * *", "minute item 1-2-3: too many '-'"),
        ("1,,2 * * * *", "minute has an empty list item"),
        ("+5 * * * *", "may contain only letters, digits, spaces and * ? , - / @"),
        ("*-5 * * * *", "minute value '*' is not a number"),
        ("mon * * * *", "minute value 'mon' is not a number"),
        ("0 0 * foo *", "month value 'foo' is not a number or a name (jan-dec)"),
        ("0 0 * * L", "day-of-week value 'L' is not a number or a name (sun-sat)"),
        ("? * * * *", "minute: '?' is allowed only in day-of-month and day-of-week"),
        (
            "* * * *",
            "must have 5 fields (minute hour day-of-month month day-of-week) "
            "or be a macro such as @hourly; found 4",
        ),
        (
            "0 * * * * *",
            "must have 5 fields (minute hour day-of-month month day-of-week) "
            "or be a macro such as @hourly; found 6",
        ),
        (
            "@every 5m",
            "unknown macro; use one of @yearly, @annually, @monthly, @weekly, "
            "@daily, @midnight, @hourly",
        ),
        (
            "@Hourly",
            "unknown macro; use one of @yearly, @annually, @monthly, @weekly, "
            "@daily, @midnight, @hourly",
        ),
        ("TZ=UTC 0 0 * * *", "must not set TZ= or CRON_TZ=; use schedule.time_zone"),
        ("CRON_TZ=UTC 0 0 * * *", "must not set TZ= or CRON_TZ=; use schedule.time_zone"),
        ("0 0 * * *\n", "may contain only letters, digits, spaces and * ? , - / @"),
        ("0\x1c0 * * *", "may contain only letters, digits, spaces and * ? , - / @"),
        (
            "0 0 * * \u0661",  # an Arabic-Indic digit one:
            "may contain only letters, digits, spaces and * ? , - / @",
        ),
        ("0," * 200 + "0 * * * *", "must be at most 256 characters"),
    ],
)
def test_schedules_kubernetes_refuses_name_the_cron_field(cron: str, message: str) -> None:
    assert cron_violation(cron) == message
