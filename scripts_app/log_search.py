"""Admin filters that search log entries: a time range and a structured field.

With the level filter and the text search LogEntryAdmin already has, they
find entries across all of a tenant's scripts. Each is a small form in the
filter sidebar rather than a list of links, since its value is typed:

- `since` / `until`: an ISO date or date and time (UTC when no offset is
  given); a bare `until` date takes in that whole day.
- `field`: `key=value` on the structured fields of console.log(msg, {...})
  (models.with_log_field: `order.id=7` reaches into nested objects, and `42`
  matches the number and the string). A JSON lookup, so SQLite's JSON1 and
  PostgreSQL's jsonb both answer it in the database.

A value that cannot be read shows an error and lists nothing, never the
unfiltered entries as if they matched.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.contrib import admin, messages
from django.utils.dateparse import parse_date, parse_datetime

from scripts_app.models import with_log_field


class InputFilter(admin.ListFilter):
    """A sidebar filter of typed values: one text input per parameter."""

    template = "admin/scripts_app/logentry/input_filter.html"
    parameters: tuple[tuple[str, str], ...] = ()  # (name, placeholder)

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name, _ in self.parameters:
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                if value.strip():
                    self.used_parameters[name] = value.strip()

    def has_output(self):
        return True

    def expected_parameters(self):
        return [name for name, _ in self.parameters]

    def choices(self, changelist):
        """The inputs and the query's other parameters (kept as hidden inputs)."""
        mine = set(self.expected_parameters())
        kept = [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key not in mine
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "inputs": [
                (name, placeholder, self.used_parameters.get(name, ""))
                for name, placeholder in self.parameters
            ],
            "kept": kept,
            "clear": changelist.get_query_string(remove=list(mine)),
            "active": bool(self.used_parameters),
        }

    def refuse(self, request, queryset, message: str):
        messages.error(request, message)
        return queryset.none()


class TimeRangeFilter(InputFilter):
    title = "time range (UTC)"
    parameters = (("since", "2026-12-07 09:00"), ("until", "2026-12-07"))

    def queryset(self, request, queryset):
        for name, lookup in (("since", "time__gte"), ("until", "time__lt")):
            raw = self.used_parameters.get(name)
            if raw is None:
                continue
            moment = parse_moment(raw, end_of_day=name == "until")
            if moment is None:
                return self.refuse(
                    request,
                    queryset,
                    f"'{raw}' is not a date or time: write 2026-12-07 or "
                    "2026-12-07 09:30 (UTC unless an offset such as +02:00 is given).",
                )
            queryset = queryset.filter(**{lookup: moment})
        return queryset


class FieldFilter(InputFilter):
    title = "structured field"
    parameters = (("field", "user_id=42"),)

    def queryset(self, request, queryset):
        raw = self.used_parameters.get("field")
        if raw is None:
            return queryset
        key, equals, value = raw.partition("=")
        if not equals or not key.strip():
            return self.refuse(
                request, queryset, f"'{raw}' is not key=value (e.g. user_id=42)."
            )
        try:
            return with_log_field(queryset, key.strip(), value.strip())
        except ValueError as exc:
            return self.refuse(request, queryset, str(exc))


def parse_moment(raw: str, end_of_day: bool = False) -> datetime | None:
    """An aware datetime from ISO text; a date is its midnight (or the next one).

    A date is the start of the day; with end_of_day, the start of the next
    day, so that `time < until` takes in the whole of `until`.
    """
    raw = raw.strip()
    try:
        day = parse_date(raw)
        moment = None if day else parse_datetime(raw.replace(" ", "T", 1))
    except ValueError:
        return None
    if day is not None:
        moment = datetime.combine(day, time(0), tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
