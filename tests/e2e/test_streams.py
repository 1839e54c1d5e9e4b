"""Server-Sent Event streams over a real server, read by an HTTP client.

The seed's chat example end to end, keep-alives, filters and the customizer,
Last-Event-ID replay, and streams ending when their script is reloaded or
deleted.
"""

import json
from datetime import datetime

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import put_script
from tests.e2e.sse import SSE

pytestmark = pytest.mark.server

# The seed's "Real-time Chat Example" (aiwebengine-javascript-api.md), verbatim.
SEED_CHAT = """
// Register a chat stream
routeRegistry.registerStreamRoute("/chat");

function sendMessage(context) {
  const req = context.request;
  const { user, message } = req.form;

  if (!user || !message) {
    return { status: 400, body: "Missing user or message" };
  }

  // Send to the chat stream
  routeRegistry.sendStreamMessage("/chat", {
    type: "chat_message",
    user: user,
    message: message,
    timestamp: new Date().toISOString(),
  });

  return { status: 200, body: "Message sent" };
}

routeRegistry.registerRoute("/chat/send", "sendMessage", "POST");
"""

# A stream per test, and one route that sends to any of them.
SENDER = """
function send(context) {
  const q = context.request.query;
  const filter = q.filter || "{}";
  return routeRegistry.sendStreamMessageFiltered(q.path, q.text, filter);
}
routeRegistry.registerRoute("/sse-send", "send", "POST");
"""

ROOMS = """
function member(context) {
  const auth = context.request.auth;
  return {
    room: context.request.query.room || "lobby",
    user: auth.isAuthenticated ? auth.userName : "anonymous",
  };
}
routeRegistry.registerStreamRoute("/sse-rooms", "member");
"""


@pytest.fixture(scope="module")
def sse_server(installation):
    """A server sending keep-alives every half second (readers stop promptly)."""
    with launch(installation, SCRIPT_STREAM_KEEPALIVE_SECONDS=0.5) as running:
        assert put_script(running, "sse-sender", SENDER).status_code in (200, 201)
        yield running


def send(server, path, text, filter=None):
    with server.client() as client:
        params = {"path": path, "text": text}
        if filter is not None:
            params["filter"] = json.dumps(filter)
        reply = client.post("/sse-send", params=params)
    assert reply.status_code == 200, reply.text
    assert reply.text.startswith("Successfully sent filtered message to "), reply.text
    return reply


def stream(server, path, script, source=None):
    source = source or f'routeRegistry.registerStreamRoute("{path}");'
    assert put_script(server, script, source).status_code in (200, 201)


def test_the_seed_chat_example_works_end_to_end(sse_server):
    assert put_script(sse_server, "chat", SEED_CHAT).status_code in (200, 201)

    with SSE(f"{sse_server.url}/chat") as ann, SSE(f"{sse_server.url}/chat") as bob:
        ann.wait_connected()
        bob.wait_connected()
        with sse_server.client() as client:
            refused = client.post("/chat/send", data={"user": "ann"})
            sent = client.post("/chat/send", data={"user": "ann", "message": "hi!"})
        got = [ann.next(), bob.next()]

    assert refused.status_code == 400
    assert (sent.status_code, sent.text) == (200, "Message sent")
    assert got[0] == got[1]
    message = json.loads(got[0].data)
    assert {k: message[k] for k in ("type", "user", "message")} == {
        "type": "chat_message",
        "user": "ann",
        "message": "hi!",
    }
    assert datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
    assert int(got[0].id) > 0


# The seed's sendStreamMessageFiltered example (aiwebengine-javascript-api.md,
# "routeRegistry.sendStreamMessageFiltered"), verbatim inside a handler: it
# sends, so it cannot run while the script loads.
SEED_FILTERED = (
    SEED_CHAT
    + """
routeRegistry.registerStreamRoute("/notifications");

function filteredExample(context) {
// Send to connections where metadata.room == "general"
routeRegistry.sendStreamMessageFiltered(
  "/chat",
  {
    type: "room_message",
    message: "Hello room!",
    timestamp: new Date().toISOString(),
  },
  JSON.stringify({ room: "general" }),
);

// Send to specific user by ID
routeRegistry.sendStreamMessageFiltered(
  "/notifications",
  {
    type: "personal",
    message: "You have a new message",
  },
  JSON.stringify({ user_id: "user123" }),
);
  return "done";
}
routeRegistry.registerRoute("/chat/filtered-example", "filteredExample", "POST");
"""
)


def test_the_seeds_filtered_send_example_reaches_only_matching_clients(sse_server):
    # Named "chat" as the chat example's script: it holds the /chat stream.
    assert put_script(sse_server, "chat", SEED_FILTERED).status_code in (200, 201)
    url = sse_server.url
    with (
        SSE(f"{url}/chat?room=general") as general,
        SSE(f"{url}/chat?room=lobby") as lobby,
        SSE(f"{url}/notifications?user_id=user123") as user123,
        SSE(f"{url}/notifications?user_id=user456") as user456,
    ):
        for reader in (general, lobby, user123, user456):
            reader.wait_connected()
        with sse_server.client() as client:
            ran = client.post("/chat/filtered-example")
        for path in ("/chat", "/notifications"):
            send(sse_server, path, "to everyone")
        got = [
            [r.next().data for _ in range(n)]
            for r, n in ((general, 2), (lobby, 1), (user123, 2), (user456, 1))
        ]

    assert (ran.status_code, ran.text) == (200, "done")
    room, everyone = json.loads(got[0][0]), got[0][1]
    assert (room["type"], room["message"], everyone) == (
        "room_message",
        "Hello room!",
        "to everyone",
    )
    assert got[1] == ["to everyone"]
    assert json.loads(got[2][0]) == {
        "type": "personal",
        "message": "You have a new message",
    }
    assert got[3] == ["to everyone"]


def test_a_filtered_send_answers_how_many_connections_match(sse_server):
    # Seed: "Returns: String describing broadcast result with success/failure
    # counts"; the words are the reference implementation's.
    stream(sse_server, "/sse-count", "sse-count")
    url = f"{sse_server.url}/sse-count"

    with (
        SSE(f"{url}?room=a") as first,
        SSE(f"{url}?room=a&user=ann") as second,
        SSE(f"{url}?room=b") as third,
    ):
        for reader in (first, second, third):
            reader.wait_connected()
        to_a = send(sse_server, "/sse-count", "to a", {"room": "a"}).text
        to_ann = send(sse_server, "/sse-count", "to ann", {"user": "ann"}).text
        to_all = send(sse_server, "/sse-count", "to all").text
        to_none = send(sse_server, "/sse-count", "to c", {"room": "c"}).text
        assert third.next().data == "to all"

    assert [to_a, to_ann, to_all, to_none] == [
        f"Successfully sent filtered message to {n} connections on path '/sse-count'"
        for n in (2, 1, 3, 0)
    ]


def test_a_filtered_send_to_no_stream_answers_zero_connections(sse_server):
    reply = send(sse_server, "/sse-no-such-stream", "lost", {"room": "a"})

    assert reply.text == (
        "Successfully sent filtered message to 0 connections on path "
        "'/sse-no-such-stream'"
    )


def test_a_stream_answers_event_stream_headers_then_keep_alives(sse_server):
    stream(sse_server, "/sse-headers", "sse-headers")

    with SSE(f"{sse_server.url}/sse-headers") as reader:
        reader.wait_connected()
        comments = [reader.next_comment(), reader.next_comment()]

    assert reader.status == 200
    assert reader.response_headers["content-type"] == "text/event-stream"
    assert reader.response_headers["cache-control"] == "no-cache"
    assert reader.retry == 3000
    assert comments == ["connected", "keep-alive"]


def test_a_multi_line_string_arrives_as_one_event(sse_server):
    stream(sse_server, "/sse-lines", "sse-lines")

    with SSE(f"{sse_server.url}/sse-lines") as reader:
        reader.wait_connected()
        send(sse_server, "/sse-lines", "first\nsecond")
        event = reader.next()

    assert event.data == "first\nsecond"


def test_filtered_messages_reach_only_matching_connections(sse_server):
    assert put_script(sse_server, "sse-rooms", ROOMS).status_code in (200, 201)
    url = f"{sse_server.url}/sse-rooms"

    with (
        SSE(f"{url}?room=a") as in_a,
        SSE(f"{url}?room=b") as in_b,
        SSE(f"{url}?room=a", headers=sse_server.auth) as admin_in_a,
    ):
        for reader in (in_a, in_b, admin_in_a):
            reader.wait_connected()
        send(sse_server, "/sse-rooms", "to room a", {"room": "a"})
        send(sse_server, "/sse-rooms", "to admin", {"user": "admin"})
        send(sse_server, "/sse-rooms", "to admin in b", {"user": "admin", "room": "b"})
        send(sse_server, "/sse-rooms", "to everyone")
        got = {
            "a": [in_a.next().data for _ in range(2)],
            "b": [in_b.next().data],
            "admin": [admin_in_a.next().data for _ in range(3)],
        }

    # Each reader's last event is the broadcast, sent last: nothing else came.
    assert got == {
        "a": ["to room a", "to everyone"],
        "b": ["to everyone"],
        "admin": ["to room a", "to admin", "to everyone"],
    }


def test_a_reconnecting_client_gets_what_it_missed_and_nothing_twice(sse_server):
    stream(sse_server, "/sse-replay", "sse-replay")
    url = f"{sse_server.url}/sse-replay"

    with SSE(url) as first:
        first.wait_connected()
        send(sse_server, "/sse-replay", "m1")
        seen = first.next()
    send(sse_server, "/sse-replay", "m2")  # while no client is connected
    send(sse_server, "/sse-replay", "m3")
    with SSE(url, headers={"Last-Event-ID": seen.id}) as again:
        again.wait_connected()
        send(sse_server, "/sse-replay", "m4")
        resumed = [again.next() for _ in range(3)]
    with SSE(f"{url}?lastEventId={resumed[0].id}") as by_query:
        by_query.wait_connected()
        send(sse_server, "/sse-replay", "m5")
        queried = [by_query.next().data for _ in range(3)]

    assert seen.data == "m1"
    assert [e.data for e in resumed] == ["m2", "m3", "m4"]
    assert [int(e.id) for e in resumed] == sorted(int(e.id) for e in resumed)
    assert int(resumed[0].id) > int(seen.id)
    assert queried == ["m3", "m4", "m5"]


def test_reloading_a_script_ends_its_streams_and_clients_resume(sse_server):
    stream(sse_server, "/sse-reload", "sse-reload")
    url = f"{sse_server.url}/sse-reload"

    with SSE(url) as reader:
        reader.wait_connected()
        send(sse_server, "/sse-reload", "before")
        before = reader.next()
        stream(sse_server, "/sse-reload", "sse-reload")  # a new version
        assert reader.wait_ended(), "the stream did not end after the reload"
    assert reader.error is None  # ended cleanly, not cut off
    send(sse_server, "/sse-reload", "meanwhile")
    with SSE(url, headers={"Last-Event-ID": before.id}) as resumed:
        resumed.wait_connected()
        meanwhile = resumed.next()
        with sse_server.client() as client:
            deleted = client.delete(
                "/system/scripts/sse-reload", headers=sse_server.auth
            )
        assert deleted.status_code in (200, 204)
        assert resumed.wait_ended(), "the stream did not end after the delete"
    with sse_server.client() as client:
        gone = client.get("/sse-reload")

    assert meanwhile.data == "meanwhile"
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"


def test_a_customizer_may_refuse_with_403(sse_server):
    source = (
        "function gate(c) { return c.request.query.key === 'open' ? {} : null; }"
        'routeRegistry.registerStreamRoute("/sse-gated", "gate");'
    )
    stream(sse_server, "/sse-gated", "sse-gated", source)

    with SSE(f"{sse_server.url}/sse-gated?key=wrong") as refused:
        refused.wait_ended()
    with SSE(f"{sse_server.url}/sse-gated?key=open") as allowed:
        allowed.wait_connected()

    assert refused.status == 403
    assert json.loads(refused.body)["error"]["code"] == "stream_refused"
    assert allowed.status == 200
