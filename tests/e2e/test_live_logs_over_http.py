"""Live logs over real HTTP: an admin's SSE stream gets a script's entries as stored."""

import json

import pytest

from tests.e2e.admin_session import cookie_header, script_pk, signed_in
from tests.e2e.conftest import launch
from tests.e2e.servers import put_script
from tests.e2e.sse import SSE

pytestmark = pytest.mark.server

SOURCE = """
function shout(c) {
  console.warn("live " + c.request.query.text, {n: 7});
  return ResponseBuilder.text("ok");
}
function note(c) {
  console.warn("live " + c.args.text);
}
routeRegistry.registerRoute("/live-logs/shout", "shout", "GET");
"""


@pytest.fixture(scope="module")
def quick(installation):
    with launch(installation, SCRIPT_STREAM_KEEPALIVE_SECONDS=0.5) as server:
        assert put_script(server, "live-shout", SOURCE).status_code in (200, 201)
        yield server


def until_message(stream: SSE, message: str) -> dict:
    """The first entry of the stream with this message (the backlog comes first)."""
    while True:
        entry = json.loads(stream.next(timeout=10).data)
        if entry["message"] == message:
            return entry


def _url(server, pk):
    return f"{server.url}/system/admin/scripts_app/script/{pk}/logs/live/"


def test_a_log_line_reaches_the_admins_stream_as_it_is_stored(quick):
    with signed_in(quick) as admin:
        pk = script_pk(admin, "live-shout")
        headers = cookie_header(admin)
    with SSE(_url(quick, pk), headers=headers) as stream:
        stream.wait_connected()
        assert stream.response_headers["content-type"].startswith("text/event-stream")
        with quick.client() as visitor:
            assert visitor.get("/live-logs/shout", params={"text": "one"}).text == "ok"
        entry = until_message(stream, "live one")
    assert (entry["level"], entry["message"], entry["fields"]) == (
        "WARN",
        "live one",
        {"n": 7},
    )
    assert entry["executionId"]


def test_a_new_stream_starts_with_the_newest_stored_entries(quick):
    with quick.client() as visitor:
        assert visitor.get("/live-logs/shout", params={"text": "earlier"}).text == "ok"
    with signed_in(quick) as admin:
        pk = script_pk(admin, "live-shout")
        headers = cookie_header(admin)
    messages = []
    for _ in range(50):  # the entry is written within RECORD_FLUSH_SECONDS
        with SSE(_url(quick, pk), headers=headers) as stream:
            stream.wait_connected()
            while not stream.events.empty():
                messages.append(json.loads(stream.events.get().data)["message"])
        if "live earlier" in messages:
            break
    assert "live earlier" in messages


def test_without_a_session_the_stream_is_not_opened(quick):
    with signed_in(quick) as admin:
        pk = script_pk(admin, "live-shout")
    with quick.client() as anonymous:
        reply = anonymous.get(_url(quick, pk))
    assert reply.status_code == 302
    assert "/system/admin/login/" in reply.headers["location"]
