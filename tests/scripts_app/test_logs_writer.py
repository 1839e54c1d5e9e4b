"""The record buffer writes in the background, retries failures, flushes at exit."""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError

from scripts_app.models import Execution, LogEntry
from scripts_app.records import buffer
from tests.conftest import HELLO

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _stop_writer_thread():
    # A thread left running would write the next test's rows behind its back.
    yield
    buffer().stop()


@pytest.fixture
def hello(upload):
    assert upload("hello", HELLO).status_code == 201


def fail_first_write(monkeypatch):
    """Make the next LogEntry insert fail once, as a locked database would."""
    from scripts_app import records

    real = records._insert
    failures = []

    def flaky(model, rows):
        if model is LogEntry and not failures:
            failures.append(True)
            raise DatabaseError("database is locked")
        return real(model, rows)

    monkeypatch.setattr(records, "_insert", flaky)
    return failures


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.django_db(transaction=True)
def test_writer_thread_writes_records_within_a_second(hello, api, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "RECORD_FLUSH_SECONDS": 0.05}
    assert api().get("/hello?name=Ann").status_code == 200
    assert wait_for(lambda: LogEntry.objects.exists(), seconds=1.0)
    assert Execution.objects.get().status == "ok"
    assert LogEntry.objects.get().message == "hello Ann"


@pytest.mark.django_db(transaction=True)
def test_writer_thread_retries_after_a_failed_write(hello, api, settings, monkeypatch):
    failures = fail_first_write(monkeypatch)
    settings.SCRIPTS = {**settings.SCRIPTS, "RECORD_FLUSH_SECONDS": 0.05}
    api().get("/hello?name=Ann")
    assert wait_for(lambda: LogEntry.objects.exists(), seconds=5.0)
    assert failures == [True]
    assert Execution.objects.count() == 1


def test_failed_write_keeps_rows_queued_and_the_next_flush_writes_them(
    hello, api, records, monkeypatch
):
    fail_first_write(monkeypatch)
    api().get("/hello?name=Ann")
    api().get("/hello?name=Bo")
    with pytest.raises(DatabaseError):
        records()
    # The executions went in before the logs failed; the transaction undid them.
    assert not Execution.objects.exists()
    assert buffer().pending() == 4
    assert records() == 4
    assert buffer().pending() == 0
    assert Execution.objects.count() == 2
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == [
        "hello Ann",
        "hello Bo",
    ]


@pytest.mark.django_db(transaction=True)
def test_rows_of_a_script_deleted_before_the_write_are_kept_without_it(
    hello, api, records
):
    from scripts_app.models import Script
    from scripts_app.services import delete_script

    api().get("/hello?name=Ann")
    delete_script(Script.objects.get(name="hello"))
    assert records() == 2
    execution = Execution.objects.get()
    assert (execution.script_id, execution.script_name) == (None, "hello")
    assert LogEntry.objects.get().script_id is None


@pytest.mark.django_db(transaction=True)
def test_rows_of_a_deleted_tenant_are_dropped_instead_of_jamming_the_queue(
    hello, api, records, cast, upload
):
    assert upload("hello", HELLO, user="erin", host="globex.test").status_code == 201
    api().get("/hello?name=Ann")
    api(host="globex.test").get("/hello?name=Gus")
    cast["acme"].delete()
    assert records() == 2
    assert buffer().pending() == 0
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["hello Gus"]


@pytest.mark.django_db(transaction=True)
async def test_asgi_lifespan_shutdown_writes_queued_rows(hello):
    import asyncio

    import httpx

    from config.asgi import application

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://acme.test"
    ) as client:
        assert (await client.get("/hello?name=Ann")).status_code == 200
    assert not await LogEntry.objects.aexists()
    inbox = asyncio.Queue()
    for event in ("lifespan.startup", "lifespan.shutdown"):
        inbox.put_nowait({"type": event})
    sent = []

    async def send(message):
        sent.append(message["type"])

    await application({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert await LogEntry.objects.filter(message="hello Ann").aexists()


EXIT_PROGRAM = """
import uuid
from datetime import UTC, datetime

import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from scripts_app.records import buffer, log_rows
from tenants.models import Tenant

tenant = Tenant.objects.create(slug="exit", name="Exit")
execution = uuid.uuid4()
buffer().add(
    {
        "id": execution, "tenant_id": tenant.id, "script_name": "last",
        "kind": "http", "status": "ok", "duration_ms": 1.0,
        "started_at": datetime.now(tz=UTC),
    },
    log_rows(tenant.id, None, "last", execution, [{"level": "WARN", "message": "bye"}]),
)
print(execution, buffer().pending())
"""


def test_rows_still_queued_at_exit_are_written(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SQLITE_PATH", "SCRIPTHOST_TEST_DB"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SCRIPTHOST_VAR_DIR=str(tmp_path),
        SCRIPT_RECORD_FLUSH_SECONDS="0",  # no writer thread: only the exit writes
    )
    done = subprocess.run(
        [sys.executable, "-c", EXIT_PROGRAM],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    execution, pending = done.stdout.split()
    assert pending == "2"
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        executions = db.execute("SELECT id FROM scripts_app_execution").fetchall()
        logs = db.execute(
            "SELECT execution_id, level, message FROM scripts_app_logentry"
        ).fetchall()
    assert [uuid.UUID(row[0]) for row in executions] == [uuid.UUID(execution)]
    assert [(uuid.UUID(e), level, m) for e, level, m in logs] == [
        (uuid.UUID(execution), "WARN", "bye")
    ]
