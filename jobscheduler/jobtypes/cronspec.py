"""Cron expressions as the Kubernetes CronJob controller reads them (robfig/cron v3,
``cron.ParseStandard``), checked here so a bad schedule is refused with a message naming the
cron field and what is wrong, instead of a 422 from the API server.

Five fields (minute, hour, day-of-month, month, day-of-week) of comma-separated items, each
``*`` / ``?`` / a value / a range ``a-b``, optionally with a step ``/n`` (``a/n`` means
``a-max/n``); month and day-of-week also take names (jan-dec, sun-sat, any case); or one of
the standard macros. Where robfig is laxer than it should be we are stricter, never laxer:
it ignores what follows ``*-`` and empty list items, takes ``+5``, ``?`` in any field and
``@every``; those are refused here (so every expression accepted here, Kubernetes accepts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CRON_LENGTH = 256
MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Go's strings.Fields and Python's str.split disagree on some control characters: allow only
# what both read the same way.
_CRON_CHARACTERS = re.compile(r"[A-Za-z0-9*?,/@ \t-]*")


@dataclass(frozen=True)
class _CronField:
    name: str
    minimum: int
    maximum: int
    names: tuple[str, ...] = ()  # names[i] means minimum + i
    question_mark: bool = False  # "?" (any) is meaningful only for the two day fields

    def value(self, text: str) -> int:
        if self.names and text.lower() in self.names:
            return self.minimum + self.names.index(text.lower())
        if not text.isdigit() or not text.isascii():
            if self.names:
                raise CronError(
                    f"{self.name} value {text!r} is not a number or a name "
                    f"({self.names[0]}-{self.names[-1]})"
                )
            raise CronError(f"{self.name} value {text!r} is not a number")
        number = int(text)
        if number < self.minimum:
            raise CronError(f"{self.name} value {number} is below the minimum {self.minimum}")
        if number > self.maximum:
            raise CronError(f"{self.name} value {number} is above the maximum {self.maximum}")
        return number


_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day-of-month", 1, 31, question_mark=True),
    _CronField("month", 1, 12, _MONTH_NAMES),
    # robfig: 0-6 only (7 is not Sunday, as it is for some other crons).
    _CronField("day-of-week", 0, 6, _DAY_NAMES, question_mark=True),
)


class CronError(ValueError):
    """What is wrong with a cron expression, naming the cron field."""


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a schedule Kubernetes accepts, or None when it is one."""
    try:
        _check(expression)
    except CronError as problem:
        return str(problem)
    return None


def _check(expression: str) -> None:
    if len(expression) > MAX_CRON_LENGTH:
        raise CronError(f"must be at most {MAX_CRON_LENGTH} characters")
    if "TZ" in expression:  # kube-apiserver refuses TZ= and CRON_TZ= prefixes this way
        raise CronError("must not set TZ= or CRON_TZ=; use schedule.time_zone")
    if not _CRON_CHARACTERS.fullmatch(expression):
        raise CronError("may contain only letters, digits, spaces and * ? , - / @")
    if expression.startswith("@"):
        if expression not in MACROS:
            raise CronError(f"unknown macro; use one of {', '.join(MACROS)}")
        return
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        raise CronError(
            "must have 5 fields (minute hour day-of-month month day-of-week) "
            f"or be a macro such as @hourly; found {len(fields)}"
        )
    for text, field in zip(fields, _FIELDS, strict=True):
        for item in text.split(","):
            _check_item(item, field)


def _check_item(item: str, field: _CronField) -> None:
    if not item:
        raise CronError(f"{field.name} has an empty list item")
    range_text, slash, step_text = item.partition("/")
    if "/" in step_text:
        raise CronError(f"{field.name} item {item}: too many '/'")
    if range_text in ("*", "?"):
        if range_text == "?" and not field.question_mark:
            raise CronError(f"{field.name}: '?' is allowed only in day-of-month and day-of-week")
    else:
        start_text, dash, end_text = range_text.partition("-")
        if "-" in end_text:
            raise CronError(f"{field.name} item {item}: too many '-'")
        start = field.value(start_text)
        if dash:
            end = field.value(end_text)
            if start > end:
                raise CronError(f"{field.name} range {range_text}: start is after end")
    if slash:
        if not step_text.isdigit() or not step_text.isascii():
            raise CronError(f"{field.name} step {step_text!r} is not a number")
        if int(step_text) == 0:
            raise CronError(f"{field.name} step in {item} must be a positive number")
