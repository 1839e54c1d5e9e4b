"""Streams across processes: two servers, one PostgreSQL database, one Redis.

A message sent through one server reaches a client connected to the other
(the Redis channel layer), a reconnecting client catches up on either, and an
upload through one server ends the streams the other serves. Runs on the
scaled stack only (DATABASE_URL and REDIS_URL set); under CI=true an
unreachable service fails instead of skipping.
"""

import os

import pytest

from tests.conftest import require_service
from tests.e2e.conftest import launch
from tests.e2e.servers import put_script
from tests.e2e.sse import SSE

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="embedded stack: DATABASE_URL and REDIS_URL are not both set",
    ),
]

SOURCE = """
routeRegistry.registerStreamRoute("/scaled-feed");
function send(c) {
  return routeRegistry.sendStreamMessageFiltered(
    "/scaled-feed", c.request.query.text, c.request.query.filter || "{}");
}
routeRegistry.registerRoute("/scaled-feed/send", "send", "POST");
"""


@pytest.fixture(scope="module")
def pair(installation):
    """Two server processes serving the same database, one Redis between them."""
    from tests.test_stack import redis_reachable

    require_service("Redis", redis_reachable())
    settings = {"SCRIPT_STREAM_KEEPALIVE_SECONDS": 0.5}
    with (
        launch(installation, **settings) as one,
        launch(installation, **settings) as two,
    ):
        assert put_script(one, "scaled-feed", SOURCE).status_code in (200, 201)
        yield one, two


def send(server, text, filter=None):
    params = {"text": text}
    if filter:
        params["filter"] = filter
    with server.client() as client:
        reply = client.post("/scaled-feed/send", params=params)
    assert reply.status_code == 200, reply.text
    return reply


def test_a_message_sent_through_one_server_reaches_clients_of_both(pair):
    one, two = pair

    with (
        SSE(f"{one.url}/scaled-feed?room=a") as on_one,
        SSE(f"{two.url}/scaled-feed?room=b") as on_two,
    ):
        on_one.wait_connected()
        on_two.wait_connected()
        send(one, "from one")
        send(two, "to room a, from two", '{"room": "a"}')
        send(two, "from two")
        got_one = [on_one.next().data for _ in range(3)]
        got_two = [on_two.next().data for _ in range(2)]

    assert got_one == ["from one", "to room a, from two", "from two"]
    assert got_two == ["from one", "from two"]


def test_a_client_catches_up_on_the_other_server(pair):
    one, two = pair

    with SSE(f"{one.url}/scaled-feed") as first:
        first.wait_connected()
        send(two, "seen")
        seen = first.next()
    send(one, "missed")
    with SSE(f"{two.url}/scaled-feed", headers={"Last-Event-ID": seen.id}) as again:
        again.wait_connected()
        missed = again.next()

    assert (seen.data, missed.data) == ("seen", "missed")


def test_an_upload_through_one_server_ends_the_streams_of_the_other(pair):
    one, two = pair

    with SSE(f"{two.url}/scaled-feed") as reader:
        reader.wait_connected()
        assert put_script(one, "scaled-feed", SOURCE).status_code == 200
        ended = reader.wait_ended()

    assert ended, "the stream on the other server did not end after the upload"
    assert reader.error is None
