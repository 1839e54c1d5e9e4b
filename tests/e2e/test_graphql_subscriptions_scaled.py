"""GraphQL subscriptions across processes: two servers, one database, one Redis.

A message a route sends through one server reaches subscribers of both
(the Redis channel layer), over WebSocket and SSE, filters included. Runs on
the scaled stack only (DATABASE_URL and REDIS_URL set).
"""

import asyncio
import json
import os

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import require_service
from tests.e2e.conftest import launch
from tests.e2e.servers import put_script
from tests.e2e.test_graphql_subscriptions import sse_events

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="embedded stack: DATABASE_URL and REDIS_URL are not both set",
    ),
]

WAIT = 15.0
SOURCE = """
function onRoom(context) {
  return { data: { text: "joined" }, metadata: { room: context.args.room } };
}
graphQLRegistry.registerSubscription(
  "scaledRoom",
  `type ScaledEvent { text: String! }
  type Subscription { scaledRoom(room: String!): ScaledEvent! }`,
  "onRoom",
  "external",
);
function say(req) {
  return graphQLRegistry.sendSubscriptionMessageFiltered(
    "scaledRoom", JSON.stringify({ text: req.form.text }), req.form.filter || "{}");
}
routeRegistry.registerRoute("/scaled-room/say", "say", "POST");
"""
QUERY = "subscription R($room: String!) { scaledRoom(room: $room) { text } }"


@pytest.fixture(scope="module")
def pair(installation):
    from tests.test_stack import redis_reachable

    require_service("Redis", redis_reachable())
    with launch(installation) as one, launch(installation) as two:
        assert put_script(one, "scaled-room", SOURCE).status_code in (200, 201)
        yield one, two


def ws_client(server):
    transport = WebsocketsTransport(
        url=f"ws://127.0.0.1:{server.port}/graphql/ws",
        init_payload={"Authorization": f"Token {server.database.token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    return Client(transport=transport, fetch_schema_from_transport=False)


async def say(server, text, filter=None):
    form = {"text": text, **({"filter": filter} if filter else {})}
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
        reply = await client.post("/scaled-room/say", data=form)
    assert reply.status_code == 200, reply.text


async def test_a_message_sent_through_one_server_reaches_subscribers_of_both(pair):
    one, two = pair

    async with ws_client(one) as on_one, ws_client(two) as on_two:
        room_a = on_one.subscribe(GraphQLRequest(QUERY, variable_values={"room": "a"}))
        room_b = on_two.subscribe(GraphQLRequest(QUERY, variable_values={"room": "b"}))
        await asyncio.wait_for(anext(room_a), WAIT)
        await asyncio.wait_for(anext(room_b), WAIT)
        await say(two, "to a, from two", '{"room": "a"}')
        await say(one, "to all, from one")
        got_a = [(await asyncio.wait_for(anext(room_a), WAIT)) for _ in range(2)]
        got_b = await asyncio.wait_for(anext(room_b), WAIT)
        await room_a.aclose()
        await room_b.aclose()

    assert [m["scaledRoom"]["text"] for m in got_a] == [
        "to a, from two",
        "to all, from one",
    ]
    assert got_b["scaledRoom"]["text"] == "to all, from one"


def test_an_sse_subscriber_gets_messages_sent_through_the_other_server(pair):
    one, two = pair
    body = {"query": QUERY, "variables": {"room": "s"}}

    with (
        two.client() as client,
        client.stream("POST", "/graphql/sse", json=body, headers=two.auth) as response,
    ):
        events = sse_events(response.iter_lines())
        first = next(events)
        with one.client() as sender:
            reply = sender.post("/scaled-room/say", data={"text": "via one"})
        second = next(events)

    assert reply.status_code == 200
    assert json.loads(first[1]) == {"data": {"scaledRoom": {"text": "joined"}}}
    assert second[0] == "next"
    assert json.loads(second[1]) == {"data": {"scaledRoom": {"text": "via one"}}}
