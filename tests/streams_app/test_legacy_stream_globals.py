"""registerWebStream and sendStreamMessage: the reference implementation's first stream API."""

import json

import pytest

from tests.streams_app.streaming import forget_streams, messages, put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_streams():
    forget_streams()
    yield
    forget_streams()


FIRST_API = """
registerWebStream("/notifications");
registerWebStream("/chat");
const refused = registerWebStream("no-slash");

function everywhere(req) {
  return sendStreamMessage(JSON.stringify({ type: "notice", n: 1 }));
}
function one(req) {
  return sendStreamMessage("/chat", { type: "chat" });
}
function why(req) { return refused; }
register("/send-all", "everywhere", "POST");
register("/send-one", "one", "POST");
register("/why", "why");
"""

OTHER = """
routeRegistry.registerStreamRoute("/elsewhere");
function mine(req) { return sendStreamMessage('{"from": "other"}'); }
routeRegistry.registerRoute("/other-send", "mine", "POST");
"""

NO_STREAMS = """
function nothingHere(req) { return sendStreamMessage("{}"); }
routeRegistry.registerRoute("/nothing-here", "nothingHere", "POST");
"""


@pytest.fixture
def legacy(cast, upload):
    put(upload, "first-api", FIRST_API)
    put(upload, "other", OTHER)
    put(upload, "no-streams", NO_STREAMS)
    return cast


def test_register_web_stream_serves_the_stream_like_register_stream_route(legacy, api):
    reply = api().get("/why")

    assert reply.content == b"Error: path must start with '/': no-slash"
    assert api().head("/notifications").status_code == 200
    assert api().head("/chat").status_code == 200


def test_send_stream_message_with_data_alone_goes_to_each_of_the_scripts_streams(
    legacy, api
):
    reply = api().post("/send-all")

    assert reply.status_code == 200
    assert reply.content.decode().splitlines() == [
        "Message queued for stream /notifications (sent when the handler succeeds)",
        "Message queued for stream /chat (sent when the handler succeeds)",
    ]
    for path in ("/notifications", "/chat"):
        [kept] = messages(path)
        assert json.loads(kept.data) == {"type": "notice", "n": 1}
    assert messages("/elsewhere") == []


def test_send_stream_message_with_a_path_is_route_registrys(legacy, api):
    api().post("/send-one")

    [kept] = messages("/chat")
    assert json.loads(kept.data) == {"type": "chat"}
    assert messages("/notifications") == []


def test_send_stream_message_never_reaches_another_scripts_streams(legacy, api):
    api().post("/other-send")

    [kept] = messages("/elsewhere")
    assert json.loads(kept.data) == {"from": "other"}
    assert messages("/notifications") == messages("/chat") == []


def test_send_stream_message_from_a_script_without_streams_says_so(legacy, api):
    reply = api().post("/nothing-here")

    assert reply.content == b"Error: this script has no streams"
