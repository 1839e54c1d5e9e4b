"""Execution charts: per-minute counts, percentiles and error rate, per tenant."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scripts_app import charts
from scripts_app.models import Execution, Script

NOW = datetime(2026, 12, 7, 12, 30, 15, tzinfo=UTC)


def execution(tenant, status="ok", ms=10.0, ago=timedelta(minutes=5), name="hello"):
    return Execution(
        id=uuid.uuid4(),
        tenant=tenant,
        script_name=name,
        kind="http",
        status=status,
        duration_ms=ms,
        started_at=NOW - ago,
    )


def add(*rows):
    Execution.objects.bulk_create(rows)


def test_runs_are_counted_per_minute_and_status(cast):
    acme = cast["acme"]
    add(
        execution(acme, "ok", ago=timedelta(minutes=5, seconds=1)),
        execution(acme, "ok", ago=timedelta(minutes=5, seconds=10)),
        execution(acme, "error", ago=timedelta(minutes=5, seconds=14)),
        execution(acme, "timeout", ago=timedelta(minutes=90)),
        execution(acme, "ok", ago=timedelta(hours=25)),  # too old
    )

    stats = charts.tenant_stats(acme, now=NOW)

    assert stats.start == datetime(2026, 12, 6, 12, 31, tzinfo=UTC)
    last = 24 * 60 - 1  # 12:30, the minute of NOW
    assert stats.per_minute == {
        last - 5: {"ok": 2, "error": 1},
        last - 90: {"timeout": 1},
    }
    assert stats.total == 4
    assert stats.per_status() == {"ok": 2, "error": 1, "timeout": 1}


def test_p50_and_p95_are_nearest_rank_percentiles(cast):
    acme = cast["acme"]
    # 1..100 ms, stored out of order, in one hour; 1000 ms in the hour before.
    add(*[execution(acme, ms=float(ms)) for ms in [*range(51, 101), *range(1, 51)]])
    add(execution(acme, ms=1000.0, ago=timedelta(hours=1)))

    stats = charts.tenant_stats(acme, now=NOW)

    # 101 runs overall: ranks 51 and 96 (of 1..100 and 1000).
    assert stats.percentiles == {50: 51.0, 95: 96.0}
    hourly = stats.hourly_percentiles
    assert len(hourly[50]) == 25
    assert hourly[50][-1] == 50.0 and hourly[95][-1] == 95.0
    assert hourly[50][-2] == 1000.0 and hourly[95][-2] == 1000.0
    assert hourly[50][:-2] == [None] * 23


def test_percentiles_of_no_runs_are_none(cast):
    stats = charts.tenant_stats(cast["acme"], now=NOW)
    assert stats.percentiles == {50: None, 95: None}
    assert stats.error_rate is None
    assert stats.total == 0


def test_error_rate_counts_failed_runs_of_the_finished_ones(cast):
    acme = cast["acme"]
    statuses = ["ok", "ok", "ok", "error", "timeout", "memory_limit", "lost"]
    add(*[execution(acme, s) for s in statuses + ["skipped"] * 5])
    add(execution(acme, "ok", ago=timedelta(hours=2)))

    stats = charts.tenant_stats(acme, now=NOW)

    assert stats.error_rate == pytest.approx(4 / 8)
    rates = stats.hourly_error_rate()
    assert rates[-1] == pytest.approx(4 / 7)
    assert rates[-3] == 0.0
    assert rates[-2] is None


def test_stats_of_a_tenant_or_script_leave_out_other_tenants(cast, upload):
    acme, globex = cast["acme"], cast["globex"]
    upload("hello", "var x = 1;\n")
    add(
        execution(acme, "ok", ms=5.0),
        execution(acme, "ok", ms=7.0, name="other"),
        execution(globex, "error", ms=900.0),  # same script id, other tenant
    )

    script = Script.objects.get(tenant=acme, name="hello")
    assert charts.script_stats(script, now=NOW).per_status() == {"ok": 1}
    assert charts.script_stats(script, now=NOW).percentiles[95] == 5.0
    assert charts.tenant_stats(acme, now=NOW).per_status() == {"ok": 2}
    assert charts.tenant_stats(globex, now=NOW).per_status() == {"error": 1}
