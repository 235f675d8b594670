"""Label/field selector parsing and cron schedule validation, with upstream's messages."""

from __future__ import annotations

import pytest

from jobscheduler.kubesyntax import cron_schedule_error
from kubesim.apiserver.selectors import field_predicate, label_predicate
from kubesim.apiserver.validation import (
    dns_label_errors,
    dns_subdomain_errors,
    label_key_errors,
    label_value_errors,
)
from kubesim.clusterapi import ApiError


def _labels(**labels: str) -> dict[str, object]:
    return {"metadata": {"labels": labels}}


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("app=web", {"app": "web"}, True),
        ("app == web", {"app": "web"}, True),
        ("app!=web", {}, True),  # != matches objects without the key
        ("app in (web, api)", {"app": "api"}, True),
        ("app notin (web,api)", {"app": "db"}, True),
        ("app notin (web,api)", {}, True),
        ("app,!tier", {"app": "x"}, True),
        ("app,!tier", {"app": "x", "tier": "y"}, False),
        ("example.com/role=a", {"example.com/role": "a"}, True),
        ("app=", {"app": ""}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], matches: bool) -> None:
    predicate = label_predicate(selector)
    assert predicate is not None
    assert predicate(_labels(**labels)) is matches


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("suite==x=", "found '=', expected: ',' or 'end of string'"),
        ("app in (a", None),
        ("Bad Key=1", None),
        ("app=bad value!", None),
    ],
)
def test_bad_label_selectors_are_bad_requests(selector: str, message: str | None) -> None:
    with pytest.raises(ApiError) as error:
        label_predicate(selector)
    assert error.value.code == 400 and error.value.reason == "BadRequest"
    if message is not None:  # the wording reference 37b shows
        assert error.value.message == message


def test_field_selectors() -> None:
    predicate = field_predicate("status.phase=Running,spec.nodeName!=n1", "pods", "Pod")
    assert predicate is not None
    assert predicate({"status": {"phase": "Running"}, "spec": {"nodeName": "n2"}})
    assert not predicate({"status": {"phase": "Running"}, "spec": {"nodeName": "n1"}})
    with pytest.raises(ApiError) as error:
        field_predicate("spec.parallelism=1", "jobs", "Job")
    assert error.value.message == 'field label "spec.parallelism" not supported for Job'


@pytest.mark.parametrize(
    "schedule",
    ["*/15 0-6 * * 1-5", "0 0 1 jan,feb *", "@hourly", "@every 5m", "5 4 * * sun", "0 12 * * ?"],
)
def test_valid_schedules(schedule: str) -> None:
    assert cron_schedule_error(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("not a schedule", "expected exactly 5 fields, found 3: [not a schedule]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("TZ=UTC 0 * * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ],
)
def test_invalid_schedules(schedule: str, message: str) -> None:
    assert cron_schedule_error(schedule) == message


@pytest.mark.parametrize("value", ["job\n", "a.b\n"])
def test_names_with_a_trailing_newline_are_invalid(value: str) -> None:
    # A Go regexp's `$` anchors at the very end; Python's `$` also matches before a final
    # newline, so the embedded validators must match the whole string to agree with upstream.
    assert dns_label_errors(value)
    assert dns_subdomain_errors(value)
    assert label_value_errors(value)
    assert label_key_errors(value)
