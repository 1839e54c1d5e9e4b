"""Log search in the admin: level, time range, text and structured field, together."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from scripts_app.log_search import parse_moment
from scripts_app.models import LogEntry
from tests.cast import PASSWORD

LOGS = "/system/admin/scripts_app/logentry/"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def log(tenant, script, level, message, hours=0, **fields):
    LogEntry.objects.create(
        tenant=tenant,
        script_name=script,
        level=level,
        message=message,
        fields=fields,
        time=T0 + timedelta(hours=hours),
    )


@pytest.fixture
def logs(cast):
    acme, globex = cast["acme"], cast["globex"]
    log(acme, "orders", "INFO", "order paid", 0, order={"id": 7}, user_id=42)
    log(acme, "orders", "ERROR", "order failed", 1, order={"id": 8}, user_id="42")
    log(acme, "users", "LOG", "user created", 2, user_id=43, tags=["a"])
    log(acme, "users", "WARN", "quota near", 26, user_id=42)
    log(globex, "orders", "ERROR", "globex order failed", 1, user_id=42)
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def shown(client, **params) -> list[str]:
    page = client.get(LOGS, params)
    assert page.status_code == 200
    return [e.message for e in page.context["cl"].result_list]


def test_field_filter_matches_numbers_and_strings_and_nested_keys(logs):
    assert shown(logs, field="user_id=42") == [
        "quota near",
        "globex order failed",
        "order failed",
        "order paid",
    ]
    assert shown(logs, field="order.id=8") == ["order failed"]
    assert shown(logs, field='user_id="43"') == []
    assert shown(logs, field="user_id=43") == ["user created"]


def test_time_range_takes_dates_and_times_in_utc(logs):
    assert shown(logs, since="2026-12-07 10:00", until="2026-12-07") == [
        "user created",
        "globex order failed",
        "order failed",
    ]
    assert shown(logs, since="2026-12-08") == ["quota near"]
    assert shown(logs, until="2026-12-07T10:30:00+01:00") == ["order paid"]


def test_filters_combine_with_level_tenant_and_text(logs, cast):
    assert shown(
        logs,
        field="user_id=42",
        level__exact="ERROR",
        tenant__id__exact=cast["acme"].pk,
        until="2026-12-07",
    ) == ["order failed"]
    assert shown(logs, q="failed", since="2026-12-07 09:30") == [
        "globex order failed",
        "order failed",
    ]


def test_bad_values_show_an_error_and_list_nothing(logs):
    for params, error in [
        ({"field": "user_id"}, "is not key=value"),
        ({"field": "user id=4"}, "is not a field name"),
        ({"since": "yesterday"}, "is not a date or time"),
    ]:
        page = logs.get(LOGS, params)
        assert page.status_code == 200
        assert list(page.context["cl"].result_list) == []
        assert error in page.content.decode()


def test_the_filter_forms_keep_the_other_parameters(logs):
    html = logs.get(LOGS, {"level__exact": "ERROR", "field": "user_id=42"}).content
    html = html.decode()
    assert 'name="field" id="id_filter_field" value="user_id=42"' in html
    assert '<input type="hidden" name="level__exact" value="ERROR">' in html


def test_parse_moment_reads_dates_times_and_offsets():
    assert parse_moment("2026-12-07") == T0 - timedelta(hours=9)
    assert parse_moment("2026-12-07", end_of_day=True) == T0 + timedelta(hours=15)
    assert parse_moment("2026-12-07 09:00") == T0
    assert parse_moment("2026-12-07T11:00+02:00") == T0
    assert parse_moment("nope") is None
    assert parse_moment("2026-13-07") is None
