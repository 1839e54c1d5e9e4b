"""GraphQL subscriptions against a running server: gql over WebSocket, httpx over SSE.

The seed's userActivity subscription (and a filtered roomActivity one) are
uploaded into two tenants of their own; clients subscribe through
/t/<slug>/graphql/ws (gql's WebsocketsTransport, graphql-transport-ws) and
/t/<slug>/graphql/sse, and script routes send with
graphQLRegistry.sendSubscriptionMessage(Filtered). Every wait is for an
event, with a timeout.
"""

import asyncio
import json
import signal

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.conftest import launch
from tests.e2e.servers import poll

pytestmark = pytest.mark.server

SLUGS = ("gqlsub", "gqlsub2")
MAKE_TENANTS = "from tenants.models import Tenant\n" + "".join(
    f"Tenant.objects.get_or_create(slug='{slug}', defaults={{'name': '{slug}'}})\n"
    for slug in SLUGS
)
WAIT = 15.0

ACTIVITY = """
function onUserActivity() {
  return {
    type: "subscription_started",
    message: "User activity monitoring started",
    timestamp: new Date().toISOString(),
  };
}

graphQLRegistry.registerSubscription(
  "userActivity",
  `type ActivityEvent {
    type: String!
    message: String!
    timestamp: String!
    userId: String
  }
  type Subscription {
    userActivity: ActivityEvent!
  }`,
  "onUserActivity",
  "external",
);

function onRoomActivity(context) {
  if (context.args.room === "boom") throw new Error("no activity in room boom");
  return {
    data: { room: context.args.room, text: "joined " + context.args.room },
    metadata: { room: context.args.room },
  };
}

graphQLRegistry.registerSubscription(
  "roomActivity",
  `type RoomEvent { room: String! text: String! }
  type Subscription { roomActivity(room: String!): RoomEvent! }`,
  "onRoomActivity",
  "external",
);

function logUserAction(req) {
  const { userId, action } = req.form;
  const message = JSON.stringify({
    type: "user_action",
    userId: userId,
    message: action,
    timestamp: new Date().toISOString(),
  });
  const sent = graphQLRegistry.sendSubscriptionMessage("userActivity", message);
  if (action === "fail") throw new Error("failed after sending");
  return { status: 200, body: sent, contentType: "text/plain; charset=UTF-8" };
}
routeRegistry.registerRoute("/log-action", "logUserAction", "POST");

function say(req) {
  const { room, text } = req.form;
  const filter = room ? JSON.stringify({ room: room }) : "{}";
  return graphQLRegistry.sendSubscriptionMessageFiltered(
    "roomActivity", JSON.stringify({ room: room || "all", text: text }), filter);
}
routeRegistry.registerRoute("/say", "say", "POST");
"""

USER_ACTIVITY = "subscription { userActivity { type message userId } }"
ROOM_ACTIVITY = (
    "subscription Room($room: String!) { roomActivity(room: $room) { room text } }"
)


@pytest.fixture(scope="module")
def tenants(server, installation):
    """Both tenants, each with the activity script, known to the server."""
    installation.manage("shell", "-c", MAKE_TENANTS)

    def put(slug):
        with server.client() as client:
            return client.put(
                f"/t/{slug}/system/scripts/activity",
                content=ACTIVITY.encode(),
                headers={**server.auth, "Content-Type": "application/javascript"},
            )

    for slug in SLUGS:
        created, _ = poll(lambda slug=slug: put(slug), lambda r: r.is_success, 10)
        assert created.is_success, created.text
    return SLUGS


def ws_client(server, slug, token=True, **payload):
    if token:
        payload.setdefault("Authorization", f"Token {server.database.token}")
    transport = WebsocketsTransport(
        url=f"ws://127.0.0.1:{server.port}/t/{slug}/graphql/ws",
        init_payload=payload,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    return Client(transport=transport, fetch_schema_from_transport=False)


async def next_of(subscription):
    return await asyncio.wait_for(anext(subscription), WAIT)


async def post(server, slug, path, **form):
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        reply = await client.post(f"/t/{slug}{path}", data=form)
    return reply


async def test_a_message_sent_by_a_route_reaches_a_websocket_subscriber(
    server, tenants
):
    async with ws_client(server, "gqlsub") as session:
        activity = session.subscribe(GraphQLRequest(USER_ACTIVITY))
        first = await next_of(activity)
        reply = await post(server, "gqlsub", "/log-action", userId="u1", action="login")
        second = await next_of(activity)
        await activity.aclose()

    assert first == {
        "userActivity": {
            "type": "subscription_started",
            "message": "User activity monitoring started",
            "userId": None,
        }
    }
    assert reply.status_code == 200, reply.text
    assert reply.text == (
        "Message queued for subscription userActivity (sent when the handler succeeds)"
    )
    assert second == {
        "userActivity": {"type": "user_action", "message": "login", "userId": "u1"}
    }


async def test_a_failed_invocation_sends_nothing(server, tenants):
    async with ws_client(server, "gqlsub") as session:
        activity = session.subscribe(GraphQLRequest(USER_ACTIVITY))
        await next_of(activity)
        failed = await post(server, "gqlsub", "/log-action", userId="u2", action="fail")
        await post(server, "gqlsub", "/log-action", userId="u3", action="after")
        got = await next_of(activity)
        await activity.aclose()

    assert failed.status_code == 500
    assert got["userActivity"]["userId"] == "u3"


async def test_filtered_messages_reach_only_matching_subscribers(server, tenants):
    async with (
        ws_client(server, "gqlsub") as one,
        ws_client(server, "gqlsub") as two,
    ):
        room_a = one.subscribe(
            GraphQLRequest(ROOM_ACTIVITY, variable_values={"room": "a"})
        )
        room_b = two.subscribe(
            GraphQLRequest(ROOM_ACTIVITY, variable_values={"room": "b"})
        )
        joined = [await next_of(room_a), await next_of(room_b)]
        await post(server, "gqlsub", "/say", room="a", text="for a")
        await post(server, "gqlsub", "/say", room="b", text="for b")
        await post(server, "gqlsub", "/say", text="for all")
        got_a = [await next_of(room_a), await next_of(room_a)]
        got_b = [await next_of(room_b), await next_of(room_b)]
        await room_a.aclose()
        await room_b.aclose()

    assert joined == [
        {"roomActivity": {"room": "a", "text": "joined a"}},
        {"roomActivity": {"room": "b", "text": "joined b"}},
    ]
    assert [m["roomActivity"]["text"] for m in got_a] == ["for a", "for all"]
    assert [m["roomActivity"]["text"] for m in got_b] == ["for b", "for all"]


async def test_a_tenants_messages_never_reach_another_tenant(server, tenants):
    async with ws_client(server, "gqlsub2") as session:
        activity = session.subscribe(GraphQLRequest(USER_ACTIVITY))
        await next_of(activity)
        await post(server, "gqlsub", "/log-action", userId="other", action="x")
        await post(server, "gqlsub2", "/log-action", userId="mine", action="y")
        got = await next_of(activity)
        await activity.aclose()

    # Had the first tenant's message leaked, it would have come first.
    assert got["userActivity"]["userId"] == "mine"


async def test_an_unauthenticated_subscriber_is_refused(server, tenants):
    async with ws_client(server, "gqlsub", token=False) as session:
        with pytest.raises(TransportQueryError) as refused:
            await next_of(session.subscribe(GraphQLRequest(USER_ACTIVITY)))

    assert "Authentication required" in str(refused.value)
    assert refused.value.errors[0]["extensions"]["code"] == "not_authenticated"


async def test_a_bad_token_closes_the_connection(server, tenants):
    client = ws_client(server, "gqlsub", Authorization="Token not-a-token")
    with pytest.raises(TransportConnectionFailed) as refused:
        async with client as session:
            await next_of(session.subscribe(GraphQLRequest(USER_ACTIVITY)))

    assert close_code(refused.value) == 4403


def close_code(error):
    """The close code the server sent, from websockets' ConnectionClosed cause."""
    while error is not None:
        received = getattr(error, "rcvd", None)
        if received is not None:
            return received.code
        error = error.__cause__ or error.__context__
    return None


async def test_a_throwing_resolver_gives_a_graphql_error(server, tenants):
    async with ws_client(server, "gqlsub") as session:
        with pytest.raises(TransportQueryError) as failed:
            await next_of(
                session.subscribe(
                    GraphQLRequest(ROOM_ACTIVITY, variable_values={"room": "boom"})
                )
            )

    (error,) = failed.value.errors
    assert "no activity in room boom" in error["message"]
    assert error["extensions"]["code"] == "script_runtime_error"
    assert error["path"] == ["roomActivity"]


async def test_queries_run_over_the_websocket_too(server, tenants):
    async with ws_client(server, "gqlsub") as session:
        result = await session.execute(GraphQLRequest("{ scripts { uri } }"))

    assert result == {"scripts": [{"uri": "activity"}]}


async def test_uploading_the_subscriptions_script_completes_its_subscribers(
    server, tenants
):
    async with ws_client(server, "gqlsub") as session:
        activity = session.subscribe(GraphQLRequest(USER_ACTIVITY))
        await next_of(activity)
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
            reply = await client.put(
                "/t/gqlsub/system/scripts/activity",
                content=ACTIVITY.encode(),
                headers={**server.auth, "Content-Type": "application/javascript"},
            )
        assert reply.status_code == 200, reply.text
        with pytest.raises(StopAsyncIteration):
            await next_of(activity)


# -- SSE --------------------------------------------------------------------------------


def sse_events(lines):
    """Yield (event, data) pairs from an iterator of SSE lines."""
    event, data = "message", []
    for line in lines:
        if line == "":
            if data or event != "message":
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def test_a_subscription_over_sse_gets_its_messages(server, tenants):
    body = {"query": ROOM_ACTIVITY, "variables": {"room": "sse"}}
    with (
        server.client() as client,
        client.stream(
            "POST", "/t/gqlsub/graphql/sse", json=body, headers=server.auth
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.iter_lines())
        first = next(events)
        with server.client() as sender:
            sender.post("/t/gqlsub/say", data={"room": "elsewhere", "text": "no"})
            sender.post("/t/gqlsub/say", data={"room": "sse", "text": "over sse"})
        second = next(events)

    assert first[0] == "next"
    assert json.loads(first[1]) == {
        "data": {"roomActivity": {"room": "sse", "text": "joined sse"}}
    }
    assert second[0] == "next"
    assert json.loads(second[1]) == {
        "data": {"roomActivity": {"room": "sse", "text": "over sse"}}
    }


def test_sse_get_and_errors(server, tenants):
    with server.client() as client:
        query = client.get(
            "/t/gqlsub/graphql/sse",
            params={"query": "{ scripts { uri } }"},
            headers=server.auth,
        )
        anonymous = client.get("/t/gqlsub/graphql/sse", params={"query": USER_ACTIVITY})
        invalid = client.get(
            "/t/gqlsub/graphql/sse",
            params={"query": "subscription { nothing }"},
            headers=server.auth,
        )
        bad_token = client.get(
            "/t/gqlsub/graphql/sse",
            params={"query": USER_ACTIVITY},
            headers={"Authorization": "Token wrong"},
        )

    assert list(sse_events(query.text.splitlines())) == [
        ("next", json.dumps({"data": {"scripts": [{"uri": "activity"}]}})),
        ("complete", ""),
    ]
    (event, data), complete = sse_events(anonymous.text.splitlines())
    assert json.loads(data)["errors"][0]["extensions"]["code"] == "not_authenticated"
    assert complete == ("complete", "")
    assert invalid.status_code == 400
    assert "nothing" in invalid.json()["errors"][0]["message"]
    assert bad_token.status_code == 401


# -- the protocol, with a bare WebSocket client ----------------------------------------

MAKE_SESSION = (
    "from django.contrib.auth import get_user_model\n"
    "from django.contrib.sessions.backends.db import SessionStore\n"
    "user = get_user_model().objects.get(username='admin')\n"
    "s = SessionStore()\n"
    "s['_auth_user_id'] = str(user.pk)\n"
    "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
    "s['_auth_user_hash'] = user.get_session_auth_hash()\n"
    "s.create()\n"
    "print(s.session_key)\n"
)


def raw_socket(server, slug="gqlsub", subprotocols=("graphql-transport-ws",), **kw):
    import websockets

    return websockets.connect(
        f"ws://127.0.0.1:{server.port}/t/{slug}/graphql/ws",
        subprotocols=list(subprotocols) or None,
        open_timeout=WAIT,
        **kw,
    )


async def answer(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), WAIT))


async def closed_with(socket) -> int:
    import websockets

    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), WAIT)
    return closed.value.rcvd.code


async def test_protocol_mistakes_close_the_socket_with_the_protocols_codes(
    server, tenants
):
    async with raw_socket(server, subprotocols=()) as socket:
        no_subprotocol = await closed_with(socket)
    async with raw_socket(server) as socket:
        await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": {}}))
        too_early = await closed_with(socket)
    async with raw_socket(server) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        ack = await answer(socket)
        await socket.send(json.dumps({"type": "ping"}))
        pong = await answer(socket)
        await socket.send(json.dumps({"type": "connection_init"}))
        twice = await closed_with(socket)
    async with raw_socket(server) as socket:
        await socket.send("not json")
        garbage = await closed_with(socket)

    assert (no_subprotocol, too_early, twice, garbage) == (4406, 4401, 4429, 4400)
    assert (ack["type"], pong["type"]) == ("connection_ack", "pong")


async def test_a_session_works_from_its_own_origin_only(server, installation, tenants):
    key = installation.manage("shell", "-c", MAKE_SESSION).split()[-1]
    subscribe = {
        "type": "subscribe",
        "id": "a",
        "payload": {"query": USER_ACTIVITY},
    }
    answers = {}
    for origin in (f"http://127.0.0.1:{server.port}", "http://evil.example"):
        cookie = {"Cookie": f"sessionid={key}"}
        async with raw_socket(
            server, origin=origin, additional_headers=cookie
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert (await answer(socket))["type"] == "connection_ack"
            await socket.send(json.dumps(subscribe))
            answers[origin] = await answer(socket)

    same, other = answers.values()
    assert same["type"] == "next"
    assert same["payload"]["data"]["userActivity"]["type"] == "subscription_started"
    assert other["type"] == "error"
    assert other["payload"][0]["extensions"]["code"] == "not_authenticated"


async def test_a_socket_outside_graphql_ws_or_of_no_tenant_is_refused(server):
    import websockets

    for path in ("/t/gqlsub/elsewhere", "/t/no-such-tenant/graphql/ws"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                f"ws://127.0.0.1:{server.port}{path}",
                subprotocols=["graphql-transport-ws"],
                open_timeout=WAIT,
            ):
                pass
        assert refused.value.response.status_code == 403


@pytest.mark.parametrize("workers", [0, 2], ids=["serve", "uvicorn-2-workers"])
def test_stopping_the_server_completes_open_subscriptions(
    installation, tenants, workers
):
    body = {"query": ROOM_ACTIVITY, "variables": {"room": "stop"}}
    with (
        launch(installation, workers) as doomed,
        doomed.client() as client,
        client.stream(
            "POST", "/t/gqlsub/graphql/sse", json=body, headers=doomed.auth
        ) as response,
    ):
        events = sse_events(response.iter_lines())
        first = next(events)
        status = doomed.stop(signal.SIGTERM)
        rest = list(events)

    assert first[0] == "next"
    assert rest == [("complete", "")], doomed.output()
    assert status == 0, doomed.output()
