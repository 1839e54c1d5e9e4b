"""tail_logs prints a tenant's recent log entries, filtered by script and level."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError

from scripts_app.models import LogEntry
from tests.scripts_app.cli import run

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def log(tenant, script, level, message, minutes=0, **fields):
    return LogEntry.objects.create(
        tenant=tenant,
        script_name=script,
        level=level,
        message=message,
        fields=fields,
        time=T0 + timedelta(minutes=minutes),
    )


@pytest.fixture
def logs(cast):
    acme = cast["acme"]
    log(acme, "hello", "LOG", "first", 0)
    log(acme, "hello", "ERROR", "broke", 1, order_id=7)
    log(acme, "other", "WARN", "careful", 2)
    log(cast["globex"], "hello", "LOG", "globex secret", 3)
    return cast


def test_tail_logs_prints_the_tenants_recent_entries_oldest_first(logs):
    out, _ = run("tail_logs", tenant="acme")
    assert out.splitlines() == [
        "2026-12-07 12:00:00.000Z [LOG] hello: first",
        '2026-12-07 12:01:00.000Z [ERROR] hello: broke {"order_id": 7}',
        "2026-12-07 12:02:00.000Z [WARN] other: careful",
    ]


def test_tail_logs_filters_by_script_level_and_count(logs):
    assert run("tail_logs", tenant="acme", script="hello")[0].count("\n") == 2
    out, _ = run("tail_logs", "--level", "warn,error", tenant="acme")
    assert [line.split()[2] for line in out.splitlines()] == ["[ERROR]", "[WARN]"]
    out, _ = run("tail_logs", "--lines", "1", tenant="acme")
    assert out.splitlines() == ["2026-12-07 12:02:00.000Z [WARN] other: careful"]


def test_tail_logs_refuses_unknown_script_level_and_tenant(logs):
    with pytest.raises(CommandError, match="No script 'nope' in tenant 'acme'"):
        run("tail_logs", tenant="acme", script="nope")
    with pytest.raises(CommandError, match="Unknown level"):
        run("tail_logs", "--level", "LOUD", tenant="acme")
    with pytest.raises(CommandError, match="No tenant 'nope'"):
        run("tail_logs", tenant="nope")


def test_follow_prints_entries_written_after_it_started(logs, monkeypatch):
    """--follow polls; here the poll's sleep writes a row, then interrupts."""
    import scripts_app.management.commands.tail_logs as tail

    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            log(logs["acme"], "hello", "INFO", "late but written later", -30)
            log(logs["globex"], "hello", "INFO", "not ours", 5)
        elif len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(tail.time, "sleep", sleep)
    out, _ = run("tail_logs", "--follow", "--lines", "0", tenant="acme")

    assert out.splitlines() == [
        "2026-12-07 11:30:00.000Z [INFO] hello: late but written later"
    ]
    assert threading.active_count() >= 1
