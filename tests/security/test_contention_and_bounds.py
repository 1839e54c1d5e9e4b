"""A hot storage key serialises instead of failing; a script's registrations are bounded.

Hole 7 of issue 12: at 50-way contention on one key some increments failed
with 500 after their optimistic re-runs ran out, with a message blaming
something irreversible that never happened. Uploads could register any
number of routes and registrations.
"""

import asyncio

import httpx
import pytest

from tests.e2e.conftest import installation, launch, server  # noqa: F401 - fixtures
from tests.e2e.servers import put_script

INCREMENTS = 500
CONCURRENCY = 50

# Between its read and its write the handler reads a second key: one more
# round trip to the database, so the window for a conflict is a real one.
COUNTER = """
async function bump(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0") + 1;
  const step = (await sharedStorage.getItem("step")) || "1";
  sharedStorage.setItem("n", String(n));
  return { status: 200, body: { n: n, step: step } };
}
async function total(context) {
  return { status: 200, body: { n: await sharedStorage.getItem("n") } };
}
routeRegistry.registerRoute("/PREFIX/bump", "bump", "POST");
routeRegistry.registerRoute("/PREFIX/total", "total", "GET");
"""


async def bump_concurrently(url: str, path: str) -> list[httpx.Response]:
    """INCREMENTS POSTs, CONCURRENCY of them in flight at any moment."""
    limits = httpx.Limits(max_connections=CONCURRENCY)
    each = INCREMENTS // CONCURRENCY
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:

        async def caller():
            return [await client.post(path) for _ in range(each)]

        batches = await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return [reply for batch in batches for reply in batch]


def assert_every_increment_counted(server, prefix):  # noqa: F811 - fixture name
    uploaded = put_script(server, f"{prefix}-hot", COUNTER.replace("PREFIX", prefix))
    assert uploaded.status_code == 201, uploaded.text

    replies = asyncio.run(bump_concurrently(server.url, f"/{prefix}/bump"))

    failed = [r for r in replies if r.status_code != 200]
    assert not failed, (len(failed), failed[0].status_code, failed[0].text)
    assert sorted(r.json()["n"] for r in replies) == list(range(1, INCREMENTS + 1))
    with server.client() as client:
        assert client.get(f"/{prefix}/total").json() == {"n": str(INCREMENTS)}


@pytest.mark.server
def test_500_increments_of_one_key_at_50_way_all_count_in_one_process(
    server,  # noqa: F811 - fixture
):
    assert_every_increment_counted(server, "hot-one")


@pytest.mark.server
def test_500_increments_of_one_key_at_50_way_all_count_across_two_processes(
    installation,  # noqa: F811 - fixture
):
    with launch(installation, workers=2) as running:
        assert_every_increment_counted(running, "hot-two")


# -- a conflict that cannot be resolved says so, and is a 503 -----------------------

STORED_COUNTER = """
async function bump(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0") + 1;
  sharedStorage.setItem("n", String(n));
  return n;
}
"""


def counter_invocation(cast):
    from scripts_app.hosting import Invocation

    return Invocation(
        tenant=cast["acme"], script_id=1, script_name="counter", kind="http"
    )


def bump_once(cast, invocation):
    from engine import Limits, ScriptSource
    from scripts_app import hosting
    from scripts_app.engines import engine

    async def load():
        return ScriptSource(STORED_COUNTER, "counter.js", {})

    return hosting.invoke_with_effects(
        engine(),
        ("counter", 1),
        "bump",
        {"request": None},
        Limits.of(5, 20),
        load,
        invocation,
    )


def key_lock(cast):
    from scripts_app.contention import lock_name
    from storage_app.effects import lock_name as storage_lock
    from storage_app.models import namespace_of

    namespace = namespace_of("shared", "counter", None)
    return lock_name(cast["acme"].id, storage_lock(namespace, "n"))


@pytest.mark.django_db(transaction=True)
async def test_a_conflict_that_cannot_get_its_turn_is_a_503_that_says_so(
    cast, settings
):
    from asgiref.sync import sync_to_async

    from scripts_app.contention import locks
    from scripts_app.http import reply_for
    from scripts_app.routing import RouteTarget
    from storage_app.models import StoredItem

    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "STORAGE_OPTIMISTIC_ATTEMPTS": 2,
        "STORAGE_LOCK_WAIT_SECONDS": 0.2,
    }
    # Another call holds the key's lock for longer than this one may wait.
    other = await locks().acquire([key_lock(cast)], 1.0, 5.0)
    try:
        outcome = await bump_once(cast, counter_invocation(cast))
    finally:
        await locks().release(other)

    assert outcome.error is not None and outcome.error.code == "write_conflict"
    message = outcome.error.message
    assert message.startswith("Storage conflict that could not be resolved")
    assert "SCRIPT_STORAGE_LOCK_WAIT_SECONDS" in message
    assert "run again safely" not in message
    reply = reply_for(
        outcome, RouteTarget(1, "counter", 1, "bump", "/counter"), "req-1"
    )
    assert reply.status == 503
    assert ("Retry-After", "1") in reply.headers
    assert b'"code": "script_write_conflict"' in reply.body
    assert b'"requestId": "req-1"' in reply.body
    assert not await sync_to_async(StoredItem.objects.filter(key="n").exists)()


@pytest.mark.django_db(transaction=True)
async def test_a_contended_call_waits_for_the_lock_and_then_counts(cast, settings):
    from asgiref.sync import sync_to_async

    from scripts_app.contention import locks
    from storage_app.models import StoredItem

    settings.SCRIPTS = {**settings.SCRIPTS, "STORAGE_OPTIMISTIC_ATTEMPTS": 1}
    other = await locks().acquire([key_lock(cast)], 1.0, 5.0)
    call = asyncio.ensure_future(bump_once(cast, counter_invocation(cast)))
    # It yields to the holder and queues on the lock: it cannot finish first.
    for _ in range(200):
        await asyncio.sleep(0.01)
        if call.done():
            break
    finished_while_held = call.done()
    await locks().release(other)
    outcome = await call

    assert not finished_while_held
    assert outcome.error is None and outcome.value == 1
    stored = await sync_to_async(StoredItem.objects.get)(key="n")
    assert stored.value == "1"


@pytest.mark.django_db(transaction=True)
async def test_a_call_a_lock_holder_starts_shares_its_locks(cast, settings):
    # A listener or resolver the holder runs while it waits for it: waiting
    # for the holder's lock would wait for the holder, which waits for it.
    from scripts_app import contention

    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "STORAGE_OPTIMISTIC_ATTEMPTS": 1,
        "STORAGE_LOCK_WAIT_SECONDS": 0.2,
    }
    holder = await contention.locks().acquire([key_lock(cast)], 1.0, 5.0)
    token = contention.hold(holder.names)
    try:
        outcome = await bump_once(cast, counter_invocation(cast))
    finally:
        contention.release_hold(token)
        await contention.locks().release(holder)

    assert outcome.error is None and outcome.value == 1


# -- bounds on what one script registers ----------------------------------------


def many_routes(count: int) -> str:
    return (
        "function h(context) { return 'ok'; }\n"
        f"for (let i = 0; i < {count}; i++) "
        "routeRegistry.registerRoute('/many/r' + i, 'h', 'GET');\n"
    )


def many_listeners(count: int) -> str:
    return (
        "function on(context) {}\n"
        f"for (let i = 0; i < {count}; i++) "
        "dispatcher.registerListener('many.t' + i, 'on');\n"
    )


def test_routes_past_the_limit_are_dropped_with_a_warning(upload, api):
    from scripts_app.models import Route

    reply = upload("many", many_routes(203))

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "203 routes: a script may register at most 200 "
        "(SCRIPT_MAX_ROUTES_PER_SCRIPT); the last 3 were dropped: "
        "route GET /many/r200, route GET /many/r201, route GET /many/r202"
    ]
    assert Route.objects.filter(script__name="many").count() == 200
    assert api(host="acme.test").get("/many/r199").status_code == 200
    assert api(host="acme.test").get("/many/r200").status_code == 404


def test_an_upload_with_as_many_routes_as_the_limit_is_stored(upload):
    reply = upload("many", many_routes(200))
    assert reply.status_code == 201
    assert reply.json()["warnings"] == []


def test_a_new_version_over_the_limit_keeps_the_first_routes(upload, settings):
    from scripts_app.models import Route

    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_ROUTES_PER_SCRIPT": 3}
    assert upload("many", many_routes(2)).status_code == 201

    reply = upload("many", many_routes(9))

    assert reply.status_code == 200
    assert reply.json()["warnings"] == [
        "9 routes: a script may register at most 3 (SCRIPT_MAX_ROUTES_PER_SCRIPT); "
        "the last 6 were dropped: route GET /many/r3, route GET /many/r4, "
        "route GET /many/r5, route GET /many/r6, route GET /many/r7 and 1 more"
    ]
    assert sorted(
        Route.objects.filter(script__name="many").values_list("path", flat=True)
    ) == ["/many/r0", "/many/r1", "/many/r2"]


def test_registrations_of_one_kind_past_the_limit_are_dropped(upload, settings):
    from streams_app.models import Listener

    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_REGISTRATIONS_PER_SCRIPT": 5}
    assert upload("listening", many_listeners(5)).json()["warnings"] == []

    reply = upload("listening", many_listeners(6))

    assert reply.status_code == 200, reply.content
    assert reply.json()["warnings"] == [
        "6 registrations of kind 'listeners': a script may register at most 5 "
        "(SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT); the last 1 was dropped"
    ]
    assert sorted(Listener.objects.values_list("message_type", flat=True)) == [
        f"many.t{i}" for i in range(5)
    ]
