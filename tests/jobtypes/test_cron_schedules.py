"""Cron expressions: what the Kubernetes CronJob controller (robfig/cron v3) accepts, and a
message naming the cron field for what it refuses, instead of a 422 reaching the caller."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobscheduler import kubesyntax
from jobscheduler.api import jobscheduler_pb2 as pb
from jobscheduler.jobtypes.fieldtable import validate_request

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


# Items each field takes, and some that it, or only the request check, refuses.
_ANY_FIELD = ["*", "*/5", "1", "1-5", "1-5/2", "1/2", "?", "*-5", "", "x", "1/0", "5-1", "1-2-3"]
_PER_FIELD = (
    ["0", "59", "60", "0-59"],
    ["0", "23", "24"],
    ["31", "32", "0", "1-31"],
    ["12", "13", "jan", "JAN-mar", "foo"],
    ["0", "6", "7", "mon", "fri-mon", "SUN-sat"],
)
_FIELDS = [
    st.lists(st.sampled_from(_ANY_FIELD + own), min_size=1, max_size=2).map(",".join)
    for own in _PER_FIELD
]
CRONS = st.one_of(
    st.tuples(*_FIELDS).map(" ".join),
    st.sampled_from(["@hourly", "@every 5m", "@Daily", "TZ=UTC 0 0 * * *", "* * * *"]),
)


@given(CRONS)
@settings(max_examples=500, derandomize=True, database=None, deadline=None)
def test_what_requests_may_use_kubernetes_accepts(cron: str) -> None:
    # One robfig parse, two callers: the request check is robfig's, only stricter.
    if kubesyntax.cron_problem(cron) is None:
        assert kubesyntax.cron_schedule_error(cron) is None


@pytest.mark.parametrize("cron", ["1,,2 * * * *", "*-5 * * * *", "? * * * *", "+5 * * * *"])
def test_what_robfig_lets_through_is_refused_for_requests(cron: str) -> None:
    assert kubesyntax.cron_schedule_error(cron) is None  # kubesim answers as upstream does
    assert kubesyntax.cron_problem(cron) is not None
