"""dispatcher.registerListener from a handler, outside init() (issue 13).

The reference implementation accepts it and keeps the listener for the
script's lifetime. Here it is an effect (R5): once the invocation succeeds
the listener is stored with the script's load-time ones, every process's
listener directory reloads, and it lasts until the script's next upload.
"""

from streams_app.models import Listener
from tests.streams_app.dispatching import put, shared_json

HOST = "acme.test"

SUBSCRIBER = """
function onPing(context) {
  sharedStorage.setItem("got", JSON.stringify(context.messageData));
}
function subscribe(context) {
  return dispatcher.registerListener("ping", "onPing");
}
function subscribeMissing(context) {
  return dispatcher.registerListener("ping", "nope");
}
function subscribeThenFail(context) {
  dispatcher.registerListener("ping", "onPing");
  throw new Error("changed my mind");
}
function init(context) {
  routeRegistry.registerRoute("/subscribe", "subscribe", "POST");
  routeRegistry.registerRoute("/subscribe/missing", "subscribeMissing", "POST");
  routeRegistry.registerRoute("/subscribe/failing", "subscribeThenFail", "POST");
}
"""

SENDER = """
function ping(context) {
  return dispatcher.sendMessage("ping", JSON.stringify({ n: context.request.query.n }));
}
routeRegistry.registerRoute("/ping", "ping", "POST");
"""


def _ping(api, n):
    reply = api(host=HOST).post(f"/ping?n={n}")
    assert reply.status_code == 200, reply.content
    return reply.content.decode()


def test_a_message_sent_after_the_registration_reaches_the_listener(cast, upload, api):
    put(upload, "subscriber", SUBSCRIBER)
    put(upload, "sender", SENDER)
    _ping(api, 1)
    assert shared_json(cast["acme"], "subscriber", "got") is None

    said = api(host=HOST).post("/subscribe")

    assert (said.status_code, said.content) == (
        200,
        b"Listener registered: ping -> onPing",
    )
    _ping(api, 2)
    assert shared_json(cast["acme"], "subscriber", "got") == {"n": "2"}


def test_registering_the_same_listener_twice_keeps_one(cast, upload, api):
    put(upload, "subscriber", SUBSCRIBER)
    api(host=HOST).post("/subscribe")
    api(host=HOST).post("/subscribe")

    rows = Listener.objects.filter(script__name="subscriber")
    assert list(rows.values_list("message_type", "handler")) == [("ping", "onPing")]


def test_a_missing_handler_returns_the_error_and_registers_nothing(cast, upload, api):
    put(upload, "subscriber", SUBSCRIBER)

    said = api(host=HOST).post("/subscribe/missing")

    assert said.content == (
        b"Error: listener for 'ping' names handler 'nope', which is not a "
        b"function in this script"
    )
    assert not Listener.objects.exists()


def test_an_invocation_that_fails_registers_nothing(cast, upload, api):
    put(upload, "subscriber", SUBSCRIBER)

    failed = api(host=HOST).post("/subscribe/failing")

    assert failed.status_code == 500
    assert not Listener.objects.exists()


def test_the_next_upload_replaces_listeners_registered_at_run_time(cast, upload, api):
    put(upload, "subscriber", SUBSCRIBER)
    put(upload, "sender", SENDER)
    api(host=HOST).post("/subscribe")
    assert Listener.objects.filter(script__name="subscriber").exists()

    put(upload, "subscriber", SUBSCRIBER + "\n// v2\n")
    _ping(api, 3)

    assert not Listener.objects.filter(script__name="subscriber").exists()
    assert shared_json(cast["acme"], "subscriber", "got") is None


def test_past_the_registration_limit_it_is_dropped_with_a_warning(
    cast, upload, api, settings, records
):
    from scripts_app.models import LogEntry

    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_REGISTRATIONS_PER_SCRIPT": 1}
    put(
        upload,
        "many",
        "function on(c) {}\n"
        "function sub(c) { return dispatcher.registerListener(c.request.query.t, 'on'); }\n"
        "routeRegistry.registerRoute('/sub', 'sub', 'POST');\n",
    )
    assert api(host=HOST).post("/sub?t=a").status_code == 200

    api(host=HOST).post("/sub?t=b")
    records()

    rows = Listener.objects.filter(script__name="many")
    assert list(rows.values_list("message_type", flat=True)) == ["a"]
    assert list(
        LogEntry.objects.filter(script_name="many", level="WARN").values_list(
            "message", flat=True
        )
    ) == [
        "Listener not registered: 2 registrations of kind 'listeners': a script "
        "may register at most 1 (SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT); the last 1 "
        "was dropped"
    ]
