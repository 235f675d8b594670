"""Cron schedule validation with the messages of robfig/cron, the parser kube-apiserver uses.

Only validation lives here (croniter computes the run times in the CronJob controller); the
point is that a bad schedule gets the same 422 text a real cluster gives.
"""

from __future__ import annotations

_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (minimum, maximum, names -> numbers)
_FIELDS: list[tuple[int, int, dict[str, int]]] = [
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, {name: index + 1 for index, name in enumerate(_MONTHS)}),
    (0, 6, {name: index for index, name in enumerate(_DAYS)}),
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


def schedule_error(schedule: str) -> str | None:
    """The upstream error text for an invalid schedule, or None when it is valid."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    if text.startswith("@"):
        if text in _DESCRIPTORS:
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
