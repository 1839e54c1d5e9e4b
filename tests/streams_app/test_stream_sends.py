"""sendStreamMessage(Filtered): effects kept only when the handler succeeds (R5)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from storage_app.models import StoredItem
from streams_app.directory import streams
from streams_app.hub import hub
from streams_app.models import StreamMessage
from tests.streams_app.streaming import (
    asgi_client,
    forget_streams,
    logs,
    messages,
    put,
)


@pytest.fixture(autouse=True)
def _fresh_streams():
    forget_streams()
    yield
    forget_streams()


SENDER = """
routeRegistry.registerStreamRoute("/feed");

function send(c) {
  const q = c.request.query;
  const data = q.text !== undefined ? q.text : { n: Number(q.n || 0), who: "feed" };
  const said = q.room
    ? routeRegistry.sendStreamMessageFiltered(q.to || "/feed", data,
        JSON.stringify({ room: q.room }))
    : routeRegistry.sendStreamMessage(q.to || "/feed", data);
  if (q.store) sharedStorage.setItem("last", q.store);
  if (q.fail) throw new Error("changed my mind");
  return said;
}
routeRegistry.registerRoute("/feed/send", "send", "POST");
"""


@pytest.fixture
def sender(cast, upload):
    put(upload, "sender", SENDER)
    return cast


def post(api, query, host="acme.test"):
    return api(host=host).post(f"/feed/send?{query}")


@pytest.mark.django_db
def test_a_message_is_kept_with_its_event_id_once_the_handler_succeeds(sender, api):
    reply = post(api, "n=1")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "Message queued for stream /feed (sent when the handler succeeds)"
    )
    [kept] = messages("/feed")
    assert json.loads(kept.data) == {"n": 1, "who": "feed"}
    assert kept.filter == {}
    assert kept.script_name == "sender"
    assert kept.tenant == sender["acme"]


@pytest.mark.django_db
def test_a_string_is_sent_as_it_is_and_a_filter_is_kept(sender, api):
    assert post(api, "text=hello%0Athere&room=general").status_code == 200

    [kept] = messages("/feed")
    assert kept.data == "hello\nthere"
    assert kept.filter == {"room": "general"}


@pytest.mark.django_db
def test_a_failing_handler_sends_nothing_and_writes_nothing(sender, api):
    reply = post(api, "n=1&store=x&fail=1")

    assert reply.status_code == 500
    assert messages("/feed") == []
    assert not StoredItem.objects.filter(key="last").exists()


@pytest.mark.django_db
def test_a_filtered_send_answers_its_count_and_a_failing_handler_sends_nothing(
    sender, api
):
    counted = post(api, "text=hi&room=general")
    failed = post(api, "text=lost&room=general&fail=1")

    # No client is connected in this process: the count is 0.
    assert counted.content.decode() == (
        "Successfully sent filtered message to 0 connections on path '/feed'"
    )
    assert failed.status_code == 500
    assert [m.data for m in messages("/feed")] == ["hi"]


@pytest.mark.django_db
def test_a_message_to_no_stream_is_dropped_with_a_warning(sender, api, records):
    reply = post(api, "n=1&to=/nowhere")

    assert reply.status_code == 200, reply.content
    records()
    assert StreamMessage.objects.count() == 0
    [warning] = logs("sender", "WARN")
    assert "/nowhere is not a stream of this tenant" in warning.message
    assert warning.execution_id is not None


@pytest.mark.django_db
def test_another_tenants_stream_is_out_of_reach(sender, upload, api, records):
    put(
        upload, "sender", SENDER.replace('"/feed");', '"/globex-feed");'), "globex.test"
    )

    reply = post(api, "n=1&to=/feed", host="globex.test")

    assert reply.status_code == 200
    records()
    assert messages("/feed") == []
    assert logs("sender", "WARN")[0].tenant_id == sender["globex"].id


@pytest.mark.django_db
def test_any_script_of_the_tenant_may_send_to_a_stream(sender, upload, api):
    put(
        upload,
        "other",
        'function s(c) { return routeRegistry.sendStreamMessage("/feed", "hi"); }'
        ' routeRegistry.registerRoute("/other/send", "s", "POST");',
    )

    assert api(host="acme.test").post("/other/send").status_code == 200

    assert [(m.data, m.script_name) for m in messages("/feed")] == [("hi", "other")]


@pytest.mark.django_db
def test_a_stream_keeps_only_its_last_messages(sender, api, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "STREAM_REPLAY_MESSAGES": 3}

    for n in range(5):
        assert post(api, f"n={n}").status_code == 200

    kept = [json.loads(m.data)["n"] for m in messages("/feed")]
    assert kept == [2, 3, 4]


@pytest.mark.django_db
def test_several_sends_of_one_handler_keep_their_order(cast, upload, api):
    put(
        upload,
        "burst",
        'routeRegistry.registerStreamRoute("/burst");'
        "function b(c) { for (let i = 0; i < 5; i++) "
        'routeRegistry.sendStreamMessage("/burst", "m" + i); return "ok"; }'
        ' routeRegistry.registerRoute("/burst/go", "b", "POST");',
    )

    assert api(host="acme.test").post("/burst/go").status_code == 200

    kept = messages("/burst")
    assert [m.data for m in kept] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m.id for m in kept] == sorted(m.id for m in kept)


@pytest.mark.django_db
def test_a_message_over_the_size_limit_fails_the_call_and_writes_nothing(
    sender, api, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "STREAM_MAX_MESSAGE_BYTES": 10}

    reply = post(api, "text=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9&store=x")  # 12 bytes

    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "script_effect_rejected"
    assert "is 12 bytes; the limit is 10 bytes" in error["message"]
    assert "SCRIPT_STREAM_MAX_MESSAGE_BYTES" in error["message"]
    assert messages("/feed") == []
    assert not StoredItem.objects.filter(key="last").exists()
    assert post(api, "text=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            'sendStreamMessageFiltered("/feed", "x", "{not json")',
            "Error: sendStreamMessageFiltered: filterJson is not valid JSON",
        ),
        (
            'sendStreamMessageFiltered("/feed", "x", "[1]")',
            "Error: sendStreamMessageFiltered: filterJson must be a JSON object",
        ),
        (
            'sendStreamMessageFiltered("/feed", "x", {room: {a: 1}})',
            "filter values must be strings, numbers or booleans",
        ),
        ('sendStreamMessage("feed", "x")', "the stream path must start with '/'"),
        (
            'sendStreamMessage("/feed", {f() {}, big: 1n})',
            "the data is not JSON-serialisable",
        ),
    ],
)
def test_a_bad_send_returns_an_error_string_and_queues_nothing(
    sender, upload, api, call, expected
):
    put(
        upload,
        "bad",
        f"function b(c) {{ return routeRegistry.{call}; }}"
        ' routeRegistry.registerRoute("/bad/send", "b", "POST");',
    )

    reply = api(host="acme.test").post("/bad/send")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode().startswith("Error: ")
    assert expected in reply.content.decode()
    assert messages("/feed") == []


@pytest.mark.django_db
def test_a_send_while_the_script_loads_is_an_error_string(cast, upload, api):
    put(
        upload,
        "early",
        'routeRegistry.registerStreamRoute("/early");'
        'const said = routeRegistry.sendStreamMessage("/early", "x");'
        "function s(c) { return said; }"
        ' routeRegistry.registerRoute("/early/said", "s", "GET");',
    )

    said = api(host="acme.test").get("/early/said").content.decode()

    assert said.startswith("Error: sendStreamMessage: messages cannot be sent while")
    assert messages("/early") == []


@pytest.mark.django_db(transaction=True)
async def test_only_messages_of_successful_calls_reach_a_connection(sender):
    target = await streams().find(sender["acme"].id, "/feed")
    connections = hub()
    conn = await connections.connect(sender["acme"].id, "/feed", {}, target)
    try:
        async with asgi_client() as client:
            assert (await client.post("/feed/send?n=1&fail=1")).status_code == 500
            assert (await client.post("/feed/send?n=2")).status_code == 200
        event_id, payload = await asyncio.wait_for(conn.queue.get(), 5)
        left = conn.queue.qsize()
    finally:
        await connections.stop()

    kept = await sync_to_async(messages)("/feed")
    assert [m.id for m in kept] == [event_id]
    assert payload == f'id: {event_id}\ndata: {{"n":2,"who":"feed"}}\n\n'.encode()
    assert left == 0


@pytest.mark.django_db(transaction=True)
async def test_a_filtered_message_reaches_only_matching_connections(sender):
    target = await streams().find(sender["acme"].id, "/feed")
    connections = hub()
    tenant = sender["acme"].id
    in_a = await connections.connect(tenant, "/feed", {"room": "a", "u": "1"}, target)
    in_b = await connections.connect(tenant, "/feed", {"room": "b"}, target)
    anyone = await connections.connect(tenant, "/feed", {}, target)
    try:
        async with asgi_client() as client:
            assert (await client.post("/feed/send?text=to-a&room=a")).status_code == 200
            assert (await client.post("/feed/send?text=to-all")).status_code == 200
        got = {}
        for name, conn, count in (("a", in_a, 2), ("b", in_b, 1), ("any", anyone, 1)):
            got[name] = [
                (await asyncio.wait_for(conn.queue.get(), 5))[1] for _ in range(count)
            ]
        # The broadcast came last: whatever b and anyone could get is in.
        left = [conn.queue.qsize() for conn in (in_a, in_b, anyone)]
    finally:
        await connections.stop()

    assert [p.split(b"data: ")[1] for p in got["a"]] == [b"to-a\n\n", b"to-all\n\n"]
    assert [p.split(b"data: ")[1] for p in got["b"]] == [b"to-all\n\n"]
    assert [p.split(b"data: ")[1] for p in got["any"]] == [b"to-all\n\n"]
    assert left == [0, 0, 0]
