"""utils.date works in ISO 8601 strings in UTC, so the IOTA examples work as written."""

import json
import time
from datetime import UTC, datetime

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, message: e.message }; }
}
"""
MOMENT = "Date.UTC(2024, 1, 29, 7, 5, 9, 42)"  # Thursday 29 February 2024


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


async def test_now_is_the_current_time_as_an_iso_string(run):
    before = time.time()
    result = await run("utils.date.now()")
    after = time.time()

    moment = datetime.strptime(result["value"], "%Y-%m-%dT%H:%M:%S.%fZ")
    seconds = moment.replace(tzinfo=UTC).timestamp()
    assert before - 0.001 <= seconds <= after + 0.001


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("YYYY-MM-DD", "2024-02-29"),
        ("YYYY-MM-DD HH:mm:ss.SSS", "2024-02-29 07:05:09.042"),
        ("YY M D H m s", "24 2 29 7 5 9"),
        ("dddd, D MMMM YYYY", "Thursday, 29 February 2024"),
        ("ddd D MMM h:mm A", "Thu 29 Feb 7:05 AM"),
        ("YYYY-MM-DD[T]HH:mm:ssZ", "2024-02-29T07:05:09+00:00"),
        ("[Day] D [of] YYYY", "Day 29 of 2024"),
        ("X", "1709190309"),
    ],
)
async def test_format_replaces_each_token_in_utc(pattern, expected, run):
    result = await run(f"utils.date.format({MOMENT}, {json.dumps(pattern)})")

    assert result["value"] == expected


async def test_format_accepts_dates_iso_strings_and_milliseconds(run):
    result = await run(
        f"[utils.date.format(new Date({MOMENT}), 'YYYY-MM-DD'),"
        " utils.date.format('2024-02-29T23:59:59Z', 'YYYY-MM-DD'),"
        f" utils.date.format({MOMENT})]"
    )

    assert result["value"] == ["2024-02-29", "2024-02-29", "2024-02-29T07:05:09.042Z"]


async def test_add_days_moves_by_whole_utc_days_either_way(run):
    result = await run(
        "[utils.date.addDays('2024-02-28', 1), utils.date.addDays('2024-03-01', -1),"
        " utils.date.addDays('2023-12-31T12:00:00Z', 30)]"
    )

    assert result["value"] == [
        "2024-02-29T00:00:00.000Z",
        "2024-02-29T00:00:00.000Z",
        "2024-01-30T12:00:00.000Z",
    ]


async def test_seed_examples_compare_in_time_order(run):
    result = await run(
        "(() => { const now = utils.date.now();"
        " const thirtyDaysAgo = utils.date.addDays(utils.date.now(), -30);"
        " const future = utils.date.addDays(now, 30);"
        " const stored = JSON.parse(JSON.stringify({ at: thirtyDaysAgo })).at;"
        " return [thirtyDaysAgo < now, future > now, stored === thirtyDaysAgo,"
        "   utils.date.format(now, 'YYYY-MM-DD') === now.slice(0, 10)]; })()"
    )

    assert result["value"] == [True, True, True, True]


async def test_something_that_is_not_a_date_is_a_range_error(run):
    assert (await run("utils.date.format('yesterday', 'YYYY')"))[
        "error"
    ] == "RangeError"
    assert (await run("utils.date.addDays(utils.date.now(), 'x')"))[
        "error"
    ] == "RangeError"
