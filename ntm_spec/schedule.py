"""Checks of EventBridge Scheduler expressions: `cron(6 fields)` and `rate(N unit)`.

Written by hand because the common cron libraries read the five-field Unix format, not
AWS's six fields with `?`, `L`, `W` and `#`. The rules follow the cron and rate
expression references of the EventBridge User Guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")


@dataclass(frozen=True)
class _Field:
    """One cron field: its name, its numeric range and the month or weekday names it takes."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    def is_value(self, text: str) -> bool:
        if text.isdigit():
            return self.low <= int(text) <= self.high
        return text.upper() in self.names

    def is_range_or_value(self, text: str) -> bool:
        first, dash, last = text.partition("-")
        if dash:
            return self.is_value(first) and self.is_value(last)
        return self.is_value(text)


_MINUTES = _Field("minutes", 0, 59)
_HOURS = _Field("hours", 0, 23)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12, MONTHS)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, WEEKDAYS)
_YEAR = _Field("year", 1970, 2199)
_FIELDS = (_MINUTES, _HOURS, _DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK, _YEAR)


def schedule_expression_problem(expression: str) -> str | None:
    """Return why `expression` is not a valid recurring schedule expression, or None when it is."""
    rate = _RATE.match(expression)
    if rate:
        return _rate_problem(int(rate.group(1)), rate.group(2))
    cron = _CRON.match(expression)
    if cron:
        return _cron_problem(cron.group(1).split(" "))
    return "an EventBridge Scheduler expression is cron(MIN HOUR DAY MONTH WEEKDAY YEAR) or rate(N UNIT)"


def _rate_problem(value: int, unit: str) -> str | None:
    if value < 1:
        return "a rate's value must be a positive whole number"
    if value == 1 and unit.endswith("s"):
        return f"a rate of 1 takes the singular unit, {unit[:-1]}"
    if value > 1 and not unit.endswith("s"):
        return f"a rate above 1 takes the plural unit, {unit}s"
    return None


def _cron_problem(fields: list[str]) -> str | None:
    if "" in fields:
        return "a cron expression's fields are separated by single spaces, with none before or after them"
    if len(fields) != len(_FIELDS):
        return f"a cron expression has 6 fields, and this one has {len(fields)}"
    for field, text in zip(_FIELDS, fields, strict=True):
        if not all(_is_item(field, item) for item in text.split(",")):
            return (
                f"its {field.name} field {text!r} is not a list of values from {field.low} to {field.high}"
                + (f" or {field.names[0]}-{field.names[-1]}" if field.names else "")
                + ", ranges (a-b), steps (a/n) or *"
            )
    day_of_month, day_of_week = fields[2], fields[4]
    if "#" in day_of_week and "," in day_of_week:
        return "a day-of-week field with # takes that one item only, so 3#1,6#3 needs two schedules"
    if (day_of_month == "?") == (day_of_week == "?"):
        return "exactly one of the day-of-month and day-of-week fields must be ?"
    return None


def _is_item(field: _Field, item: str) -> bool:
    """Return whether one comma-separated item is valid in `field`."""
    if item == "*":
        return True
    if item == "?":
        return field in (_DAY_OF_MONTH, _DAY_OF_WEEK)
    if field is _DAY_OF_MONTH and (item in ("L", "LW") or (item.endswith("W") and field.is_value(item[:-1]))):
        return True
    if field is _DAY_OF_WEEK:
        if item == "L" or (item.endswith("L") and field.is_value(item[:-1])):
            return True
        weekday, hash_sign, occurrence = item.partition("#")
        if hash_sign:
            return field.is_value(weekday) and occurrence in ("1", "2", "3", "4", "5")
    start, slash, step = item.partition("/")
    if slash:
        return (start == "*" or field.is_range_or_value(start)) and step.isdigit() and int(step) >= 1
    return field.is_range_or_value(item)
