"""What the fast path skips or does once, and that skipping it changes nothing.

Host ops are built at an invocation's first host call, settings are read once
per change, and execution records are inserted without the ORM's per-row cost.
"""

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.db import DatabaseError

from engine import HostError, Limits, ScriptSource
from scripts_app import hosting, records
from scripts_app.engines import engine
from scripts_app.hosting import Invocation, build_host, invoke_with_effects
from scripts_app.models import Execution, LogEntry
from scripts_app.records import buffer, log_rows
from secrets_app import ops as secrets_ops
from tests.conftest import HELLO

SCRIPT = """
function plain(context) { return "no host call"; }
async function reads(context) {
  const a = await sharedStorage.getItem("a");
  const b = await sharedStorage.getItem("b");
  return String(a) + "," + String(b);
}
async function failing(context) {
  try { await sharedStorage.getItem("a"); return "read"; }
  catch (e) { return e.message; }
}
"""


@pytest.fixture
def built(monkeypatch):
    """Count script_ops calls per app; return {app name: count}."""
    counts = {}
    for config in hosting._op_providers():
        real = config.script_ops

        def counting(invocation, real=real, name=config.name):
            counts[name] = counts.get(name, 0) + 1
            return real(invocation)

        monkeypatch.setattr(config, "script_ops", counting)
    return counts


def invocation(cast):
    return Invocation(
        tenant=cast["acme"], script_id=1, script_name="costs", kind="http"
    )


async def run(cast, handler):
    async def load():
        return ScriptSource(SCRIPT, "costs.js", {})

    return await invoke_with_effects(
        engine(),
        ("costs", 1),
        handler,
        {"request": None},
        Limits.of(5, 20),
        load,
        invocation(cast),
    )


@pytest.mark.django_db(transaction=True)
async def test_a_handler_without_host_calls_builds_no_ops(cast, built):
    outcome = await run(cast, "plain")

    assert outcome.error is None and outcome.value == "no host call"
    assert built == {}


@pytest.mark.django_db(transaction=True)
async def test_the_first_host_call_builds_every_apps_ops_once(cast, built):
    outcome = await run(cast, "reads")

    assert outcome.error is None and outcome.value == "null,null"
    providers = [config.name for config in hosting._op_providers()]
    assert "storage_app" in providers
    assert built == dict.fromkeys(providers, 1)


def test_building_the_host_builds_no_ops_yet(cast, built):
    host = build_host(invocation(cast))

    assert built == {}
    assert host.ops == {}  # nothing until the first op arrives


@pytest.mark.django_db
async def test_a_lazily_built_fetch_counts_its_deadline_from_the_attempts_start(cast):
    # Built at the first host call, fetch still ends by the attempt's own limit.
    attempt = invocation(cast)
    attempt.started = time.monotonic() - 1000  # began long ago: no time left
    fetch = secrets_ops.script_ops(attempt)["fetch"]
    with pytest.raises(HostError, match="no time is left"):
        await fetch("https://example.com/")
    assert not attempt.irreversible  # nothing was sent


@pytest.mark.django_db(transaction=True)
async def test_a_failure_building_the_ops_reaches_the_script_as_an_error(
    cast, monkeypatch
):
    def broken(invocation):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(apps.get_app_config("storage_app"), "script_ops", broken)

    outcome = await run(cast, "failing")

    assert outcome.error is None
    assert outcome.value == "storage.get failed on the server"


# -- settings read once per change ----------------------------------------------------

ECHO = """
function echo(context) { return "echo"; }
routeRegistry.registerRoute("/echo", "echo", "GET");
"""


def fast_path_client():
    from config.asgi import application

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://acme.test"
    )


@pytest.mark.django_db(transaction=True)
async def test_changed_settings_apply_to_the_next_fast_path_request(upload, settings):
    assert (await sync_to_async(upload)("echo", ECHO)).status_code == 201
    async with fast_path_client() as c:
        before = await c.get("/echo")
        settings.SECURE_CONTENT_TYPE_NOSNIFF = False
        settings.X_FRAME_OPTIONS = "SAMEORIGIN"
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3
        after = await c.get("/echo")
        too_big = await c.request("GET", "/echo", content=b"abcd")

    assert before.headers["x-content-type-options"] == "nosniff"
    assert before.headers["x-frame-options"] == "DENY"
    assert "x-content-type-options" not in after.headers
    assert after.headers["x-frame-options"] == "SAMEORIGIN"
    assert too_big.status_code == 413


# -- execution records ------------------------------------------------------------------


def execution_row(tenant, script, **fields):
    row = {
        "id": uuid.uuid4(),
        "tenant_id": tenant.id,
        "script_id": script.id,
        "script_name": script.name,
        "version": 3,
        "kind": "http",
        "handler": "hello",
        "trigger": "GET /hello",
        "status": "error",
        "response_status": 500,
        "duration_ms": 1.25,
        "error": "Ünïcode ✓ error\nwith a second line",
        "started_at": datetime(
            2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2))
        ),
    }
    row.update(fields)
    return row


FIELDS = [f.attname for f in Execution._meta.concrete_fields if f.attname != "id"]


@pytest.fixture
def hello(upload):
    assert upload("hello", HELLO).status_code == 201
    from scripts_app.models import Script

    return Script.objects.get(name="hello")


def test_records_are_stored_exactly_as_bulk_create_stores_them(cast, hello):
    tenant = cast["acme"]
    row = execution_row(tenant, hello)
    logs = log_rows(
        tenant.id,
        hello.id,
        hello.name,
        row["id"],
        [{"level": "WARN", "message": "x ✓", "time": 1767225600123}],
        [{"level": "ERROR", "message": "boom"}],
    )
    buffer().add(row, logs)
    assert buffer().flush() == 3

    reference = Execution(**{**row, "id": uuid.uuid4()})
    Execution.objects.bulk_create([reference])
    ours = Execution.objects.values(*FIELDS).get(id=row["id"])
    theirs = Execution.objects.values(*FIELDS).get(id=reference.id)
    assert ours == theirs
    assert ours["started_at"] == row["started_at"]
    stored = list(
        LogEntry.objects.filter(execution_id=row["id"])
        .order_by("id")
        .values_list("level", "message", "time", "script_id")
    )
    assert stored == [
        ("WARN", "x ✓", datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC), hello.id),
        ("ERROR", "boom", logs[1]["time"], hello.id),
    ]


def test_missing_fields_get_their_defaults(cast):
    tenant = cast["acme"]
    buffer().add(
        {
            "tenant_id": tenant.id,
            "script_name": "gone",
            "kind": "http",
            "status": "ok",
            "duration_ms": 2,
            "started_at": datetime.now(tz=UTC),
        },
        [],
    )
    assert buffer().flush() == 1

    execution = Execution.objects.get(script_name="gone")
    assert isinstance(execution.id, uuid.UUID)
    assert (execution.tenant_id, execution.script_id, execution.version) == (
        tenant.id,
        None,
        None,
    )
    assert (execution.handler, execution.trigger, execution.error) == ("", "", "")
    assert execution.duration_ms == 2.0


def test_an_unknown_field_fails_the_write_and_keeps_the_rows_queued(cast, hello):
    good = execution_row(cast["acme"], hello)
    bad = execution_row(cast["acme"], hello, colour="red")
    buffer().add(good, [])
    buffer().add(bad, [])

    with pytest.raises(TypeError, match="colour"):
        buffer().flush()
    assert buffer().pending() == 2
    assert not Execution.objects.exists()


def test_a_failed_write_keeps_rows_queued_and_the_next_flush_writes_them(
    cast, hello, monkeypatch
):
    real, failures = records._insert, []

    def flaky(model, rows):
        if model is LogEntry and not failures:
            failures.append(True)
            raise DatabaseError("database is locked")
        return real(model, rows)

    monkeypatch.setattr(records, "_insert", flaky)
    tenant = cast["acme"]
    row = execution_row(tenant, hello)
    buffer().add(
        row, log_rows(tenant.id, hello.id, "hello", row["id"], [{"message": "m"}])
    )

    with pytest.raises(DatabaseError):
        buffer().flush()
    # The execution went in before the logs failed; the transaction undid it.
    assert not Execution.objects.exists()
    assert buffer().pending() == 2
    assert buffer().flush() == 2
    assert LogEntry.objects.get().message == "m"


def test_the_host_says_an_attempt_cannot_be_repeated_once_irreversible(cast):
    # The engine reruns a call whose context another call stopped only if so.
    attempt = invocation(cast)
    host = build_host(attempt)
    assert host.repeatable()
    attempt.irreversible = True  # what fetch sets once a request may have left
    assert not host.repeatable()


@pytest.mark.django_db(transaction=True)
async def test_a_rebuilt_context_takes_its_source_from_the_cache(cast, monkeypatch):
    from scripts_app import serving, sources
    from scripts_app.services import save_script

    script = await sync_to_async(save_script)(cast["acme"], "cached", HELLO)
    target = (await serving.find_route(cast["acme"], "GET", "/hello")).target
    first = await sources.load_source(cast["acme"], target)
    queries = []
    monkeypatch.setattr(
        sources, "source_of", lambda *args: queries.append(args) or first
    )
    again = await sources.load_source(cast["acme"], target)
    assert again is first and queries == []
    assert first.source == HELLO and script is not None
    # A new version is a new key: its source is read from the database.
    await sync_to_async(save_script)(cast["acme"], "cached", HELLO + "\n// v2")
    target = (await serving.find_route(cast["acme"], "GET", "/hello")).target
    await sources.load_source(cast["acme"], target)
    assert len(queries) == 1
