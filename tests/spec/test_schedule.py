"""EventBridge Scheduler expressions: the forms the EventBridge references allow, and common mistakes."""

from __future__ import annotations

import pytest

from ntm_spec.schedule import schedule_expression_problem


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(1 hour)",
        "rate(7 days)",
        "cron(0 3 ? * MON *)",
        "cron(0/15 8-18 ? * MON-FRI *)",
        "cron(0 12 L * ? *)",
        "cron(0 12 LW * ? *)",
        "cron(0 12 15W * ? *)",
        "cron(0 10 ? * 6#3 *)",
        "cron(0 10 ? * 6L *)",
        "cron(30 2 1,15 JAN,JUL ? 2027-2030)",
        "cron(*/5 * ? * * *)",
    ],
)
def test_valid_expression_accepted(expression):
    assert schedule_expression_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 days)", "a rate of 1 takes the singular unit, day"),
        ("rate(2 hour)", "a rate above 1 takes the plural unit, hours"),
        ("rate(0 minutes)", "a rate's value must be a positive whole number"),
        ("rate(7 weeks)", "an EventBridge Scheduler expression is cron"),
        ("cron(0 3 * * *)", "a cron expression has 6 fields, and this one has 5"),
        ("cron(0  3 ? * MON *)", "a cron expression's fields are separated by single spaces"),
        ("cron(0 3 * * MON *)", "exactly one of the day-of-month and day-of-week fields must be ?"),
        ("cron(0 3 ? * ? *)", "exactly one of the day-of-month and day-of-week fields must be ?"),
        ("cron(60 3 ? * MON *)", "its minutes field '60' is not a list of values from 0 to 59"),
        ("cron(0 3 32 * ? *)", "its day-of-month field '32' is not a list"),
        ("cron(0 3 ? 13 MON *)", "its month field '13' is not a list of values from 1 to 12 or JAN-DEC"),
        ("cron(0 3 ? * MON#6 *)", "its day-of-week field 'MON#6' is not a list"),
        ("cron(0 3 ? * 2#3,4 *)", "a day-of-week field with # takes that one item only"),
        ("cron(0 3 ? * MON 1969)", "its year field '1969' is not a list of values from 1970 to 2199"),
        ("cron(0 3 ? * MON/0 *)", "its day-of-week field 'MON/0' is not a list"),
        ("cron(0 ? ? * MON *)", "its hours field '?' is not a list"),
        ("every day at 3", "an EventBridge Scheduler expression is cron"),
    ],
)
def test_invalid_expression_explained(expression, reason):
    problem = schedule_expression_problem(expression)

    assert problem is not None
    assert problem.startswith(reason)
