"""What a request caused ends with it: by its time, and when it ends."""

import asyncio

import httpx
import pytest
from asgiref.sync import sync_to_async

from scripts_app.models import Execution

pytestmark = pytest.mark.django_db(transaction=True)

SENDER = """
function start(context) {
  return dispatcher.sendMessage("spin", "{}");
}
routeRegistry.registerRoute("/spin/start", "start", "POST");
"""

# Runs until its time limit stops it, unless something else does first.
SPINNER = """
function onSpin(context) {
  while (true) {}
}
dispatcher.registerListener("spin", "onSpin");
"""


@pytest.fixture
def scripts(upload):
    for name, source in (("spinner", SPINNER), ("sender", SENDER)):
        response = upload(name, source)
        assert response.status_code == 201, response.content


@pytest.fixture
def listener_started(monkeypatch):
    """An event set once the dispatcher starts running a listener of its own."""
    from streams_app import dispatch

    started = asyncio.Event()
    deliver = dispatch.deliver

    async def delivering(*args, **kwargs):
        started.set()
        return await deliver(*args, **kwargs)

    monkeypatch.setattr(dispatch, "deliver", delivering)
    return started


async def test_a_cancelled_request_stops_the_listener_it_was_waiting_for(
    scripts, listener_started, records, settings
):
    # Long enough that the listener's own limit (90% of it) is not what stops it.
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {"http": (30.0, None)}}
    from config.asgi import application

    async def request():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://acme.test"
        ) as client:
            return await client.post("/spin/start")

    sending = asyncio.ensure_future(request())
    await asyncio.wait_for(listener_started.wait(), 20)
    sending.cancel()  # as when the caller goes away
    with pytest.raises(asyncio.CancelledError):
        await sending

    async def stopped():
        for _ in range(200):
            await sync_to_async(records)()
            found = await Execution.objects.filter(script_name="spinner").afirst()
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        return None

    # Without the budget the listener would spin on for its 30 s.
    run = await stopped()
    assert run is not None
    assert run.kind == "listener"
    assert run.status == "error"
    assert run.error == "Stopped: the request that caused this run ended"
    # Let the two stopped contexts finish closing before the test's loop does.
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)


def test_a_listener_gets_only_the_time_its_request_has_left(
    scripts, api, records, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {"http": (2.0, None)}}

    reply = api().post("/spin/start")

    # Stopped at 90% of the request's 2 s: the request still had time to answer.
    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "Message 'spin' delivered to 1 listener: 0 succeeded, 1 failed"
    )
    records()
    run = Execution.objects.get(script_name="spinner")
    assert run.status == "timeout"
    assert run.error.startswith("Script was stopped after ")
    assert run.error.endswith(
        ": the request that caused it is out of time (what a request causes "
        "ends 10% before its own limit of 2 s)"
    )
