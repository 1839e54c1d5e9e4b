"""core.cron: what a cron expression may be, and where a wrong one is wrong.

Every accepted expression must also be one croniter reads the same way, since
croniter computes the times.
"""

from datetime import datetime

import pytest
from croniter import croniter

from core.cron import CronError, check_timezone, parse


@pytest.mark.parametrize(
    ("expression", "hours"),
    [
        ("0 9 * * *", {9}),
        ("*/15 * * * mon-fri", set(range(24))),
        ("0 0-23/6 * * *", {0, 6, 12, 18}),
        ("0 8,12,18 * * *", {8, 12, 18}),
        ("0 5/6 * * *", {5, 11, 17, 23}),
        ("@daily", {0}),
        ("  0   9 * *   SUN ", {9}),
    ],
)
def test_valid_expressions_are_accepted_as_croniter_reads_them(expression, hours):
    cron = parse(expression)
    assert set(cron.values[1]) == hours
    assert croniter.is_valid(cron.fields)
    start = datetime(2026, 1, 1)
    mine = croniter(cron.fields, start).get_next(datetime)
    assert mine.hour in hours


def test_seven_and_zero_are_both_sunday():
    assert parse("0 0 * * 7").values[4] == parse("0 0 * * 0").values[4] == {0}


def test_every_hour_is_known_for_the_repeated_hour_rule():
    assert parse("30 * * * *").every_hour
    assert parse("30 */1 * * *").every_hour
    assert not parse("30 */2 * * *").every_hour
    assert not parse("30 1 * * *").every_hour


@pytest.mark.parametrize(
    ("expression", "field", "column", "says"),
    [
        ("0 24 * * *", "hour", 3, "24 is out of range 0-23"),
        ("60 * * * *", "minute", 1, "60 is out of range 0-59"),
        ("0 9x * * *", "hour", 4, "unexpected 'x'"),
        ("0 9 * FOO *", "month", 7, "unknown name 'FOO'"),
        ("0 9 1,,2 * *", "day of month", 7, "empty list item"),
        ("0 5-3 * * *", "hour", 5, "runs backwards"),
        ("0 */0 * * *", "hour", 5, "a step must be a whole number"),
        ("0 9 * * 1-", "day of week", 11, "a value is missing"),
        ("0 9 * * mon#2", "day of week", 12, "unexpected '#'"),
        ("0 9 * *", "", 7, "has 5 fields"),
        ("0 9 * * * *", "", 11, "this one has 6"),
        ("@sometimes", "", 1, "unknown macro"),
        ("0 0 30 2 *", "day of month", 5, "never run"),
        ("", "", 1, "non-empty"),
    ],
)
def test_a_wrong_expression_names_the_field_and_character(
    expression, field, column, says
):
    with pytest.raises(CronError) as caught:
        parse(expression)
    assert (caught.value.field, caught.value.column) == (field, column)
    assert says in str(caught.value)
    where = f"{field} field, character {column}" if field else f"character {column}"
    assert str(caught.value).endswith(f"({where})")


def test_time_zones_are_iana_names():
    assert str(check_timezone("Europe/Helsinki")) == "Europe/Helsinki"
    for wrong in ("Mars/Olympus", "", "../etc/passwd", None):
        with pytest.raises(ValueError, match="time zone"):
            check_timezone(wrong)
