"""A tenant past its cap of running invocations gets 429 with Retry-After (R9).

The same answer on the ASGI fast path and through Django's catch-all, and for
a stream's customizer; the refused handler runs nothing and leaves no record.
"""

import asyncio
import gc

import httpx
import pytest
from asgiref.sync import sync_to_async

from scripts_app.admission import refusals
from scripts_app.models import Execution, LogEntry
from storage_app.models import StoredItem
from tests.scripts_app.admitting import PATIENCE, holding
from tests.streams_app.streaming import forget_streams

pytestmark = pytest.mark.django_db(transaction=True)

WORK = """
function work(context) {
  sharedStorage.setItem("ran", "yes");
  console.log("work ran");
  return { status: 200, body: { ran: true } };
}
function join(context) {
  console.log("join ran");
  return { room: "a" };
}
routeRegistry.registerRoute("/work", "work", "GET");
routeRegistry.registerStreamRoute("/feed", "join");
"""

MESSAGE = (
    "Too many script invocations at once: this tenant already runs 2, and its "
    "limit is 2 (SCRIPT_MAX_CONCURRENT_PER_TENANT); nothing was run. Try again "
    "in 1 s."
)


@pytest.fixture(autouse=True)
def cap_of_two(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": 2}
    forget_streams()
    yield
    forget_streams()
    gc.collect()  # connections of Django's per-request threads (see streaming.py)


@pytest.fixture
def work(cast, upload):
    for host, owner in (("acme.test", "alice"), ("globex.test", "erin")):
        reply = upload("work", WORK, user=owner, host=host)
        assert reply.status_code == 201, reply.content
    return cast


def client(host="acme.test", headers=None):
    from config.asgi import application

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application),
        base_url=f"http://{host}",
        headers=headers or {},
    )


def assert_too_many_requests(reply):
    assert reply.status_code == 429, reply.text
    assert reply.headers["Retry-After"] == "1"
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {
        "error": {
            "code": "too_many_requests",
            "message": MESSAGE,
            "requestId": reply.headers["X-Request-Id"],
        }
    }


@sync_to_async
def traces(records, script="work"):
    """What the script left behind: storage, log entries, execution rows."""
    records()
    return (
        list(StoredItem.objects.filter(script_name=script).values_list("key")),
        list(LogEntry.objects.filter(script_name=script).values_list("message")),
        list(Execution.objects.filter(script_name=script).values_list("handler")),
    )


@pytest.mark.parametrize("via", ["fast path", "django"])
async def test_a_route_past_the_cap_answers_429_and_runs_nothing(work, records, via):
    # A token sends the request through Django's catch-all view instead.
    token = {"Authorization": f"Token {work['tokens']['bob']}"}
    headers = token if via == "django" else {}
    async with client(headers=headers) as c, holding(work["acme"]):
        reply = await c.get("/work")

    assert_too_many_requests(reply)
    assert await traces(records) == ([], [], [])


async def test_the_route_runs_again_once_slots_are_free(work, records):
    async with client() as c:
        async with holding(work["acme"]):
            refused = await c.get("/work")
        served = await c.get("/work")

    assert refused.status_code == 429
    assert served.status_code == 200 and served.json() == {"ran": True}
    assert await traces(records) == ([("ran",)], [("work ran",)], [("work",)])


async def test_refusals_are_counted_for_their_tenant(work):
    acme = work["acme"]
    before = refusals().get(acme.id, 0)
    async with client() as c, holding(acme):
        for _ in range(3):
            assert (await c.get("/work")).status_code == 429

    assert refusals()[acme.id] == before + 3


async def test_another_tenant_is_served_while_one_is_at_its_cap(work):
    async with client("globex.test") as c, holding(work["acme"]):
        reply = await c.get("/work")

    assert reply.status_code == 200, reply.text


async def test_a_stream_customizer_past_the_cap_answers_429(work, records):
    async with client() as c, holding(work["acme"]):
        # Admitted, the stream would open and never end: wait_for fails then.
        reply = await asyncio.wait_for(c.get("/feed"), PATIENCE)

    assert_too_many_requests(reply)
    assert (await traces(records))[1:] == ([], [])


async def test_the_fast_path_refuses_before_the_handler_is_even_prepared(
    work, monkeypatch
):
    # At the cap, the front end answers 429 without building the invocation
    # (no context, no execution id): the burst's refusals come back sooner.
    def must_not_run(*args, **kwargs):
        raise AssertionError("the refused call reached the invocation runner")

    monkeypatch.setattr("scripts_app.asgi.serve", must_not_run)
    async with client() as c, holding(work["acme"]):
        refused = await c.get("/work")
        head = await c.head("/work")

    assert_too_many_requests(refused)
    assert head.status_code == 429 and head.content == b""


async def test_the_fast_path_admits_while_a_slot_is_free(work, records):
    async with client() as c, holding(work["acme"], 1):
        reply = await c.get("/work")

    assert reply.status_code == 200, reply.text
