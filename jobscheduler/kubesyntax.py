"""Kubernetes' own syntax rules (names, labels, images, cron), as pure checks.

The one copy of these rules: request validation uses the checks so a bad request gets every
problem at once with the request's field path, instead of one 422 from the API server naming a
manifest path the user never wrote; the simulated API server (kubesim) uses the same patterns
and the robfig/cron rules to answer as kube-apiserver does. Standard library only, so kubesim
can depend on it without the service. Each check returns a description of the problem, or None
when the value is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every pattern is applied with fullmatch: "$" alone also matches before a final newline.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# Upstream's label value pattern: empty, or a qualified name part.
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")


def dns_label(value: str, max_length: int = 63) -> str | None:
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if not DNS_LABEL.fullmatch(value):
        return (
            "must be a DNS label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_subdomain(value: str) -> str | None:
    if len(value) > 253:
        return "must be at most 253 characters"
    if not DNS_SUBDOMAIN.fullmatch(value):
        return "must be a DNS subdomain: lowercase letters, digits, '-' and '.'"
    return None


def qualified_name(key: str) -> str | None:
    """A label or annotation key: optional DNS-subdomain prefix, '/', name of <= 63 chars."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix before '/' must not be empty"
    if prefix and (problem := dns_subdomain(prefix)):
        return f"prefix {problem}"
    if not name:
        return "name part must not be empty"
    if len(name) > 63:
        return "name part must be at most 63 characters"
    if not QUALIFIED_NAME_PART.fullmatch(name):
        return (
            "name part must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > 63:
        return "must be at most 63 characters"
    if not LABEL_VALUE.fullmatch(value):
        return (
            "must consist of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def image_reference(image: str) -> str | None:
    if len(image) > 1024 or not _IMAGE.fullmatch(image):
        return "must be a container image reference such as registry.example/team/app:1.2"
    return None


# Cron schedules as the CronJob controller parses them: robfig/cron v3's standard parser
# (cron.ParseStandard), ported once. Two callers read its errors: the simulated API server
# answers robfig's own text, as kube-apiserver does (cron_schedule_error); request validation
# is stricter where robfig is lax and names the cron field instead (cron_problem).
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_MONTH_NAMES = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MAX_CRON_LENGTH = 256
# Go's strings.Fields and Python's str.split disagree on some control characters: a request
# may use only what both read the same way.
_CRON_CHARACTERS = re.compile(r"[A-Za-z0-9*?,/@ \t-]*")
_GO_INT = re.compile(r"[+-]?[0-9]+")
_FIELD_COUNT_PROBLEM = (
    "must have 5 fields (minute hour day-of-month month day-of-week) "
    "or be a macro such as @hourly; found {}"
)


@dataclass(frozen=True)
class _CronField:
    name: str
    minimum: int
    maximum: int
    names: tuple[str, ...] = ()  # names[i] means minimum + i
    question_mark: bool = False  # "?" (any) is meaningful only for the two day fields


_CRON_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day-of-month", 1, 31, question_mark=True),
    _CronField("month", 1, 12, CRON_MONTH_NAMES),
    # robfig: 0-6 only (7 is not Sunday, as it is for some other crons).
    _CronField("day-of-week", 0, 6, CRON_DAY_NAMES, question_mark=True),
)


class _CronError(ValueError):
    """One problem, in robfig's words (``upstream``) and naming the cron field (``problem``)."""

    def __init__(self, upstream: str, problem: str) -> None:
        super().__init__(upstream)
        self.upstream = upstream
        self.problem = problem


def _strict_only(problem: str) -> _CronError:
    """A problem robfig does not have: raised only when parsing strictly."""
    return _CronError(problem, problem)


def _atoi(text: str, field: _CronField, what: str) -> int:
    """robfig's mustParseInt (Go's strconv.Atoi, then no negatives); ``what`` is "value" or
    "step", for the message naming the cron field."""
    problem = f"{field.name} {what} {text!r} is not a number"
    if what == "value" and field.names:
        problem += f" or a name ({field.names[0]}-{field.names[-1]})"
    if not _GO_INT.fullmatch(text):
        reason = "invalid syntax"
    elif not -(2**63) <= int(text) < 2**63:
        reason = "value out of range"
    else:
        number = int(text)
        if number < 0:
            raise _CronError(f"negative number ({number}) not allowed: {text}", problem)
        return number
    raise _CronError(
        f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": {reason}', problem
    )


def _int_or_name(text: str, field: _CronField) -> int:
    if text.lower() in field.names:
        return field.minimum + field.names.index(text.lower())
    return _atoi(text, field, "value")


def _check_range(item: str, field: _CronField, strict: bool) -> None:
    """robfig's getRange: ``*`` / ``?`` / a value / ``a-b``, optionally ``/step``."""
    range_and_step = item.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if strict and len(range_and_step) > 2:  # robfig reads the range first
        raise _strict_only(f"{field.name} item {item}: too many '/'")
    if low_and_high[0] in ("*", "?"):
        if strict and low_and_high[0] == "?" and not field.question_mark:
            raise _strict_only(f"{field.name}: '?' is allowed only in day-of-month and day-of-week")
        if strict and not single:  # robfig ignores what follows "*-"
            raise _strict_only(f"{field.name} value {low_and_high[0]!r} is not a number")
        start, end = field.minimum, field.maximum
    else:
        if strict and len(low_and_high) > 2:
            raise _strict_only(f"{field.name} item {item}: too many '-'")
        start = _int_or_name(low_and_high[0], field)
        if single:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], field)
        else:
            message = f"too many hyphens: {item}"
            raise _CronError(message, f"{field.name} item {item}: too many '-'")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1], field, "step")
        if single:
            end = field.maximum  # "a/n" means "a-max/n"
    else:
        raise _CronError(f"too many slashes: {item}", f"{field.name} item {item}: too many '/'")
    low, high = field.minimum, field.maximum
    if start < low:
        raise _CronError(
            f"beginning of range ({start}) below minimum ({low}): {item}",
            f"{field.name} value {start} is below the minimum {low}",
        )
    if end > high:
        raise _CronError(
            f"end of range ({end}) above maximum ({high}): {item}",
            f"{field.name} value {end} is above the maximum {high}",
        )
    if start > end:
        raise _CronError(
            f"beginning of range ({start}) beyond end of range ({end}): {item}",
            # With "a/n" the end is the maximum: the value is what is wrong.
            f"{field.name} value {start} is above the maximum {high}"
            if start > high
            else f"{field.name} range {range_and_step[0]}: start is after end",
        )
    if step == 0:
        raise _CronError(
            f"step of range should be a positive number: {item}",
            f"{field.name} step in {item} must be a positive number",
        )


def _check_fields(fields: list[str], strict: bool) -> None:
    """robfig's five-field parse. Lax as robfig (empty list items skipped, ``?`` anywhere,
    ``*-x`` read as ``*``) unless ``strict``."""
    if len(fields) != len(_CRON_FIELDS):
        raise _CronError(
            f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]",
            _FIELD_COUNT_PROBLEM.format(len(fields)),
        )
    for text, field in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            if not item:  # robfig splits with strings.FieldsFunc, which drops empty items
                if strict:
                    raise _strict_only(f"{field.name} has an empty list item")
                continue
            _check_range(item, field, strict)


def cron_schedule_error(schedule: str) -> str | None:
    """robfig/cron's error text for an invalid schedule (what kube-apiserver answers), or None
    when it is valid."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    if text.startswith("@"):
        if text in CRON_MACROS:
            return None
        if text.startswith("@every "):
            return None
        return f"unrecognized descriptor: {text}"
    try:
        _check_fields(text.split(), strict=False)
    except _CronError as error:
        return error.upstream
    return None


def cron_problem(expression: str) -> str | None:
    """Why a request's cron expression is not a schedule this service accepts, naming the cron
    field, or None when it is one. Every expression accepted here Kubernetes accepts: where
    robfig is laxer than it should be (it ignores what follows ``*-`` and empty list items,
    takes ``+5``, ``?`` in any field and ``@every``), this refuses."""
    if len(expression) > MAX_CRON_LENGTH:
        return f"must be at most {MAX_CRON_LENGTH} characters"
    if "TZ" in expression:  # kube-apiserver refuses TZ= and CRON_TZ= prefixes this way
        return "must not set TZ= or CRON_TZ=; use schedule.time_zone"
    if not _CRON_CHARACTERS.fullmatch(expression):
        return "may contain only letters, digits, spaces and * ? , - / @"
    if expression.startswith("@"):
        return (
            None
            if expression in CRON_MACROS
            else f"unknown macro; use one of {', '.join(CRON_MACROS)}"
        )
    try:
        _check_fields(expression.split(), strict=True)
    except _CronError as error:
        return error.problem
    return None
