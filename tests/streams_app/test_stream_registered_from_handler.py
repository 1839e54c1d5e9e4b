"""routeRegistry.registerStreamRoute from a handler, outside init() (issue 13).

The reference implementation registers such a stream in its stream registry,
where it stays until the script is reloaded. Here the host says at once
whether the platform takes it (the call's answer), and it is stored once the
invocation succeeds (an effect, R5) with the script's registrations: served
by every process, listed by listStreams, kept across restarts, and dropped
by the script's next upload, whose init() starts the set afresh.
"""

import json

import pytest

from scripts_app.models import Script
from scripts_app.sources import forget_sources
from streams_app.models import StreamRoute
from tests.streams_app.streaming import forget_streams, logs, put

pytestmark = pytest.mark.django_db

HOST = "acme.test"

OPENER = """
function open(context) {
  return routeRegistry.registerStreamRoute(context.request.query.path);
}
function openGated(context) {
  return routeRegistry.registerStreamRoute("/gated", "gate");
}
function openMissing(context) {
  return routeRegistry.registerStreamRoute("/gated", "nope");
}
function openThenFail(context) {
  routeRegistry.registerStreamRoute("/doomed");
  throw new Error("changed my mind");
}
function openAndList(context) {
  routeRegistry.registerStreamRoute("/fresh");
  return { status: 200, body: JSON.parse(routeRegistry.listStreams()) };
}
function list(context) {
  return { status: 200, body: JSON.parse(routeRegistry.listStreams()) };
}
function gate(context) { return { room: "a" }; }
function init(context) {
  routeRegistry.registerStreamRoute("/boot");
  routeRegistry.registerRoute("/open", "open", "POST");
  routeRegistry.registerRoute("/open/gated", "openGated", "POST");
  routeRegistry.registerRoute("/open/missing", "openMissing", "POST");
  routeRegistry.registerRoute("/open/failing", "openThenFail", "POST");
  routeRegistry.registerRoute("/open/listed", "openAndList", "POST");
  routeRegistry.registerRoute("/list", "list", "GET");
}
"""


@pytest.fixture(autouse=True)
def _fresh_streams():
    forget_streams()
    forget_sources()
    yield
    forget_streams()
    forget_sources()


def _open(api, path):
    reply = api(host=HOST).post(f"/open?path={path}")
    assert reply.status_code == 200, reply.content
    return reply.content.decode()


def _listed(api):
    reply = api(host=HOST).get("/list")
    assert reply.status_code == 200, reply.content
    return [s["path"] for s in json.loads(reply.content)]


def _paths(script="opener"):
    return sorted(
        StreamRoute.objects.filter(script__name=script).values_list("path", flat=True)
    )


def test_a_stream_registered_by_a_handler_is_stored_served_and_listed(
    cast, upload, api
):
    put(upload, "opener", OPENER)

    said = _open(api, "/live")

    assert said == "Stream registered: /live"
    assert _paths() == ["/boot", "/live"]
    stored = Script.objects.get(name="opener").registrations["streams"]
    assert stored == [
        {"path": "/boot", "customizer": ""},
        {"path": "/live", "customizer": ""},
    ]
    # As after a restart: nothing cached in this process any more.
    forget_streams()
    forget_sources()
    assert _listed(api) == ["/boot", "/live"]
    head = api(host=HOST).head("/live")
    assert head.status_code == 200
    assert head["Content-Type"] == "text/event-stream"


def test_the_stream_keeps_its_customizer(cast, upload, api):
    put(upload, "opener", OPENER)

    said = api(host=HOST).post("/open/gated")

    assert said.content == b"Stream registered: /gated"
    assert StreamRoute.objects.get(path="/gated").customizer == "gate"


def test_registering_it_again_keeps_one(cast, upload, api):
    put(upload, "opener", OPENER)

    assert _open(api, "/live") == "Stream registered: /live"
    assert _open(api, "/live") == "Stream registered: /live"
    assert _open(api, "/boot") == "Stream registered: /boot"

    assert _paths() == ["/boot", "/live"]


def test_the_same_invocation_lists_its_new_stream(cast, upload, api):
    put(upload, "opener", OPENER)

    reply = api(host=HOST).post("/open/listed")

    assert [s["path"] for s in reply.json()] == ["/boot", "/fresh"]
    assert reply.json()[1]["uri"] == "http://acme.test/fresh"


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("live", "Error: path must start with '/': live"),
        ("/rooms/:id", "Error: a stream path is literal, without ':param' or '*': "),
        (
            "/system/live",
            "Error: stream /system/live: the path is the platform's (reserved)",
        ),
        ("/list", "Error: path /list is already a GET route in this script"),
    ],
)
def test_a_stream_the_platform_would_not_take_is_an_error_string(
    cast, upload, api, path, answer
):
    put(upload, "opener", OPENER)

    said = _open(api, path)

    assert said.startswith(answer)
    assert _paths() == ["/boot"]


def test_another_scripts_path_stays_with_it(cast, upload, api):
    put(upload, "opener", OPENER)
    put(upload, "owner", 'routeRegistry.registerStreamRoute("/taken");')

    said = _open(api, "/taken")

    assert said == "Error: stream /taken: script 'owner' already serves it (a stream)"
    assert _paths() == ["/boot"]
    assert _paths("owner") == ["/taken"]


def test_a_missing_customizer_is_an_error_string(cast, upload, api):
    put(upload, "opener", OPENER)

    said = api(host=HOST).post("/open/missing")

    assert said.content == (
        b"Error: stream /gated names customizer 'nope', which is not a function "
        b"in this script"
    )
    assert _paths() == ["/boot"]


def test_an_invocation_that_fails_registers_nothing(cast, upload, api):
    put(upload, "opener", OPENER)

    failed = api(host=HOST).post("/open/failing")

    assert failed.status_code == 500
    assert _paths() == ["/boot"]


def test_past_the_limit_it_is_an_error_string(cast, upload, api, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_REGISTRATIONS_PER_SCRIPT": 2}
    put(upload, "opener", OPENER)
    assert _open(api, "/one") == "Stream registered: /one"

    said = _open(api, "/two")

    assert said == (
        "Error: 3 registrations of kind 'streams': a script may register at most 2 "
        "(SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT); the last 1 was dropped"
    )
    assert _paths() == ["/boot", "/one"]


def test_the_next_upload_starts_from_its_init(cast, upload, api):
    put(upload, "opener", OPENER)
    _open(api, "/live")

    put(upload, "opener", OPENER + "\n// v2\n")

    assert _paths() == ["/boot"]
    assert _listed(api) == ["/boot"]


def test_a_path_taken_between_the_call_and_the_commit_is_a_warning(
    cast, upload, api, records
):
    from types import SimpleNamespace

    from streams_app.registry import streams_later

    put(upload, "opener", OPENER)
    put(upload, "owner", 'routeRegistry.registerStreamRoute("/raced");')
    script = Script.objects.get(name="opener")
    invocation = SimpleNamespace(
        tenant=cast["acme"],
        script_id=script.pk,
        script_name="opener",
        version=script.version,
        execution_id=None,
        after_commit=[],
    )

    streams_later(invocation, [{"path": "/raced", "customizer": ""}])
    for run in invocation.after_commit:
        import asyncio

        asyncio.run(run())
    records()

    assert _paths() == ["/boot"]
    assert [e.message for e in logs("opener", "WARN")] == [
        "Stream not registered: stream /raced: script 'owner' already serves it "
        "(a stream)"
    ]
