"""Kubernetes' own syntax rules (names, labels, env vars, quantities, cron), as pure checks.

The one copy of these rules: request validation uses the checks so a bad request gets every
problem at once with the request's field path, instead of one 422 from the API server naming a
manifest path the user never wrote; the simulated API server (kubesim) uses the same patterns
and the robfig/cron rules to answer as kube-apiserver does. Standard library only, so kubesim
can depend on it without the service. Each check returns a description of the problem, or None
when the value is valid.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from jobscheduler.quantities import SUFFIX_MULTIPLIERS

# Every pattern is applied with fullmatch: "$" alone also matches before a final newline.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# Upstream's label value pattern: empty, or a qualified name part.
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Kubernetes accepts any printable ASCII except '=' since 1.30; the classic C-identifier-like
# rule below is what every version accepts, and what shells can export.
_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>[KMGTPE]i|[numkMGTPE]|e[-+]?[0-9]+)?$"
)
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


def env_var_name(name: str) -> str | None:
    if not _ENV_VAR_NAME.fullmatch(name):
        return "must consist of letters, digits, '_', '-' or '.', and not start with a digit"
    return None


def image_reference(image: str) -> str | None:
    if len(image) > 1024 or not _IMAGE.fullmatch(image):
        return "must be a container image reference such as registry.example/team/app:1.2"
    return None


def parse_quantity(value: str) -> Decimal | None:
    """A Kubernetes resource quantity as a number (e.g. "100m" -> 0.1), or None if invalid."""
    match = _QUANTITY.fullmatch(value)
    if not match:
        return None
    try:
        number = Decimal(match["number"])
    except InvalidOperation:
        return None
    suffix = match["suffix"] or ""
    if suffix.startswith("e"):
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * SUFFIX_MULTIPLIERS[suffix]


# Cron schedules as the CronJob controller parses them: robfig/cron's standard parser.
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
# (minimum, maximum, names -> numbers)
_FIELDS: list[tuple[int, int, dict[str, int]]] = [
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, {name: index + 1 for index, name in enumerate(CRON_MONTH_NAMES)}),
    (0, 6, {name: index for index, name in enumerate(CRON_DAY_NAMES)}),
]


class _CronError(ValueError):
    pass


def _parse_int(text: str) -> int:
    try:
        number = int(text, 10)
    except ValueError:
        raise _CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        ) from None
    if number < 0:
        raise _CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _int_or_name(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    return _parse_int(text)


def _check_range(expression: str, minimum: int, maximum: int, names: dict[str, int]) -> None:
    range_and_step = expression.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = minimum, maximum
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise _CronError(f"too many hyphens: {expression}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:
            end = maximum
    else:
        raise _CronError(f"too many slashes: {expression}")
    if start < minimum:
        raise _CronError(f"beginning of range ({start}) below minimum ({minimum}): {expression}")
    if end > maximum:
        raise _CronError(f"end of range ({end}) above maximum ({maximum}): {expression}")
    if start > end:
        raise _CronError(f"beginning of range ({start}) beyond end of range ({end}): {expression}")
    if step == 0:
        raise _CronError(f"step of range should be a positive number: {expression}")


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
    fields = text.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    try:
        for field, (minimum, maximum, names) in zip(fields, _FIELDS, strict=True):
            for expression in field.split(","):
                _check_range(expression, minimum, maximum, names)
    except _CronError as error:
        return str(error)
    return None
