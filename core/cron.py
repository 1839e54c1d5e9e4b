"""Check cron expressions and time zones, saying where an expression is wrong.

A platform module because two apps read cron expressions: scripts_app's
header parser (an IOTA script's `@cron 0 9 * * *`) and the scheduler
(schedulerService.registerCron). croniter computes the times; this module
only decides what is accepted, so that a mistake is refused at upload with
the field and the character it is at, which croniter's messages do not say.

Accepted: five fields (minute, hour, day of month, month, day of week), each
`*` or a comma-separated list of values and ranges (`1-5`), any of them with
a step (`*/15`, `0-30/10`); month names JAN-DEC and day names SUN-SAT in any
case; day of week 0-7 (0 and 7 are Sunday); and the macros @yearly,
@annually, @monthly, @weekly, @daily, @midnight and @hourly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = [
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
]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the value of names[0]


FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, tuple(MONTHS), 1),
    _Field("day of week", 0, 7, tuple(DAYS), 0),
)
_LONGEST = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31}
_LONGEST |= {11: 30, 12: 31}
_TOKEN = re.compile(r"\d+|[A-Za-z]+|.", re.S)


class CronError(ValueError):
    """An expression that is not accepted: what is wrong, in which field, where.

    `field` is the field's name ("hour"), or "" for the expression as a
    whole; `column` is the 1-based character of the expression the problem
    is at.
    """

    def __init__(self, problem: str, field: str, column: int):
        where = f"{field} field, " if field else ""
        super().__init__(f"{problem} ({where}character {column})")
        self.problem = problem
        self.field = field
        self.column = column


@dataclass(frozen=True)
class Cron:
    """A checked expression: its text as given, as five fields, and their values."""

    text: str
    fields: str  # the five fields (a macro expanded), single-spaced
    values: tuple[frozenset[int], ...]

    @property
    def every_hour(self) -> bool:
        """True when the hour field matches all 24 hours (`*`, `*/1`, `0-23`)."""
        return len(self.values[1]) == 24


def parse(text: str) -> Cron:
    """Check a cron expression; return it parsed, or raise CronError."""
    if not isinstance(text, str) or not text.strip():
        raise CronError(
            "a cron expression must be a non-empty string such as '0 9 * * *'", "", 1
        )
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    if stripped.startswith("@"):
        expanded = MACROS.get(stripped.lower())
        if expanded is None:
            raise CronError(
                f"unknown macro '{stripped}' (use one of {', '.join(MACROS)})",
                "",
                lead + 1,
            )
        return Cron(text, expanded, _values(expanded))
    values = _values(text)
    if len(values[4]) == 7 and not any(
        day <= _LONGEST[month] for month in values[3] for day in values[2]
    ):
        # With the day of week `*`, the days of month alone decide; none exists.
        column = [m.start() for m in re.finditer(r"\S+", text)][2] + 1
        raise CronError(
            "no month in the expression has any of its days (such as the 30th of "
            "February), so it would never run",
            "day of month",
            column,
        )
    return Cron(text, " ".join(text.split()), values)


def _values(text: str) -> tuple[frozenset[int], ...]:
    parts = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    if len(parts) != len(FIELDS):
        column = parts[len(FIELDS)][0] + 1 if len(parts) > len(FIELDS) else len(text)
        raise CronError(
            f"a cron expression has 5 fields (minute hour day-of-month month "
            f"day-of-week), this one has {len(parts)}",
            "",
            max(column, 1),
        )
    return tuple(
        _field_values(spec, start, part)
        for spec, (start, part) in zip(FIELDS, parts, strict=True)
    )


def _field_values(spec: _Field, start: int, part: str) -> frozenset[int]:
    values: set[int] = set()
    at = start
    for item in part.split(","):
        if not item:
            raise CronError(
                "an empty list item (two commas, or one at an end)", spec.name, at + 1
            )
        values |= _item_values(spec, at, item)
        at += len(item) + 1
    if spec.name == "day of week" and 7 in values:
        values = (values - {7}) | {0}  # 7 is Sunday too
    return frozenset(values)


def _item_values(spec: _Field, at: int, item: str) -> set[int]:
    """The values of one list item: `*`, `v`, `a-b`, each with an optional `/step`."""
    tokens = [(at + m.start(), m.group()) for m in _TOKEN.finditer(item)]
    pos = 0

    def take():
        nonlocal pos
        token = tokens[pos] if pos < len(tokens) else (at + len(item), "")
        pos += 1
        return token

    column, token = take()
    if token == "*":
        low, high, ranged = spec.low, spec.high, True
    else:
        low = _value(spec, column, token)
        high, ranged = low, False
        if pos < len(tokens) and tokens[pos][1] == "-":
            take()
            column, token = take()
            high, ranged = _value(spec, column, token), True
            if high < low:
                raise CronError(
                    f"the range {low}-{high} runs backwards", spec.name, column + 1
                )
    step = 1
    if pos < len(tokens) and tokens[pos][1] == "/":
        take()
        column, token = take()
        if not token.isdigit() or int(token) < 1:
            raise CronError(
                f"a step must be a whole number of 1 or more, got '{token}'",
                spec.name,
                column + 1,
            )
        step = int(token)
        if not ranged:  # `5/15` means 5-max/15, as in Vixie cron and croniter
            high = spec.high
    if pos < len(tokens):
        column, token = tokens[pos]
        raise CronError(f"unexpected '{token}'", spec.name, column + 1)
    return set(range(low, high + 1, step))


def _value(spec: _Field, column: int, token: str) -> int:
    if token.isdigit():
        value = int(token)
        if not spec.low <= value <= spec.high:
            raise CronError(
                f"{value} is out of range {spec.low}-{spec.high}", spec.name, column + 1
            )
        return value
    if token.lower() in spec.names:
        return spec.names.index(token.lower()) + spec.first_name
    if token.isalpha():
        known = (
            f" (names: {', '.join(n.upper() for n in spec.names)})"
            if spec.names
            else ""
        )
        raise CronError(f"unknown name '{token}'{known}", spec.name, column + 1)
    if not token:
        raise CronError("a value is missing", spec.name, column + 1)
    raise CronError(f"unexpected '{token}'", spec.name, column + 1)


def check_timezone(name: str) -> ZoneInfo:
    """The IANA time zone `name` ("Europe/Helsinki"), or a ValueError saying why not."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ValueError(
            f"the time zone must be an IANA name such as 'Europe/Helsinki', got {name!r}"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}' (use an IANA name such as 'Europe/Helsinki' "
            "or 'UTC')"
        ) from None
