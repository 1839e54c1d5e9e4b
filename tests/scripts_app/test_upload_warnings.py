"""A registration call that fails registers nothing; the upload goes on with a warning.

Only a compile error, or a top level or init() that throws or runs out of time,
refuses an upload (issue 13). A bad path handed to registerRoute or
registerStreamRoute makes the call return its "Error: ..." string, and the
upload's answer lists it under `warnings`.
"""

import pytest
from django.urls import reverse

from scripts_app.models import LogEntry, Route, Script

HOST = "acme.test"

# One good route and one bad stream route, each inside the script's own
# try/catch; the route answers what the stream registration returned.
GOOD_AND_BAD = """
let streamAnswer = null;

function hello(context) {
  return { status: 200, body: "stream said: " + streamAnswer };
}

function init(context) {
  try {
    routeRegistry.registerRoute("/hello", "hello", "GET");
  } catch (e) {
    console.log("route failed: " + e);
  }
  try {
    streamAnswer = routeRegistry.registerStreamRoute("notifications");
  } catch (e) {
    streamAnswer = "threw " + e;
  }
  return { success: true };
}
"""


def test_bad_stream_route_in_init_is_a_warning_and_the_good_route_serves(upload, api):
    reply = upload("mixed", GOOD_AND_BAD)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == ["path must start with '/': notifications"]
    served = api(host=HOST).get("/hello")
    assert served.status_code == 200
    # The call returned its error string (it did not throw) and registered nothing.
    assert (
        served.content == b"stream said: Error: path must start with '/': notifications"
    )
    script = Script.objects.get(name="mixed")
    assert script.registrations.get("streams", []) == []
    assert list(Route.objects.filter(script=script).values_list("path")) == [
        ("/hello",)
    ]


def test_each_failed_registration_is_listed_in_source_order(upload, api):
    source = (
        "function h() { return 'ok'; }\n"
        "routeRegistry.registerRoute('nope', 'h', 'GET');\n"
        "routeRegistry.registerRoute('/ok', 'h', 'FETCH');\n"
        "routeRegistry.registerRoute('/ok', 'h', 'GET');\n"
    )
    reply = upload("several", source)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "path must start with '/': nope",
        "unsupported method 'FETCH' (use one of GET, POST, PUT, DELETE, PATCH, "
        "HEAD, OPTIONS)",
    ]
    assert list(
        Route.objects.filter(script__name="several").values_list("method", "path")
    ) == [("GET", "/ok")]
    assert api(host=HOST).get("/ok").content == b"ok"


def test_route_to_a_missing_function_is_dropped_with_a_warning(upload, api):
    source = (
        "function hello() { return 'hi'; }\n"
        "routeRegistry.registerRoute('/hi', 'helo', 'GET');\n"
        "routeRegistry.registerRoute('/hello', 'hello', 'GET');\n"
    )
    reply = upload("typo", source)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "route GET /hi names handler 'helo', which is not a function in this script"
    ]
    script = Script.objects.get(name="typo")
    assert [r["path"] for r in script.registrations["routes"]] == ["/hello"]
    assert api(host=HOST).get("/hi").status_code == 404


def test_an_upload_without_failures_has_no_warnings(upload):
    reply = upload("clean", "function h() {}\nrouteRegistry.registerRoute('/c', 'h');")

    assert reply.status_code == 201
    assert reply.json()["warnings"] == []


def test_refused_registrations_are_written_to_the_scripts_logs(upload, records):
    upload("logged", "routeRegistry.registerStreamRoute('x');")
    records()

    messages = list(
        LogEntry.objects.filter(script_name="logged").values_list("level", "message")
    )
    assert (
        "WARN",
        "Registration refused at upload: path must start with '/': x",
    ) in messages


def test_init_that_throws_after_a_failed_registration_still_refuses(upload):
    source = (
        "function init() {\n"
        "  routeRegistry.registerStreamRoute('bad');\n"
        "  throw new Error('init broke');\n"
        "}\n"
    )
    reply = upload("thrower", source)

    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "init_failed"
    assert not Script.objects.filter(name="thrower").exists()


def test_rest_api_upload_lists_the_warnings(api):
    url = reverse("script-list")
    reply = api("alice").post(
        url,
        {"id": "rest", "source": "routeRegistry.registerRoute('/r', 'missing');"},
        format="json",
    )

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "route GET /r names handler 'missing', which is not a function in this script"
    ]


# aiwebengine-javascript-api.md, "routeRegistry.registerStreamRoute(path)",
# the example, verbatim.
SEED_STREAMS = """// Register a stream for live notifications
routeRegistry.registerStreamRoute("/notifications");

// Register a stream for chat messages
routeRegistry.registerStreamRoute("/chat/room1");
"""

# aiwebengine-javascript-api.md, "dispatcher.registerListener(messageType,
# handlerName)", the example, verbatim.
SEED_LISTENER = """function handleUserCreated(context) {
  const userData = context.messageData;
  console.log(`New user created: ${userData.username} (${userData.email})`);

  // Perform actions in response to the event
  // e.g., send welcome email, update analytics, etc.
}

function init(context) {
  // Register listener during script initialization
  dispatcher.registerListener("user.created", "handleUserCreated");

  return { success: true };
}
"""


def test_the_seeds_stream_example_uploads_without_warnings(upload):
    reply = upload("seed-streams", SEED_STREAMS)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == []
    script = Script.objects.get(name="seed-streams")
    assert [s["path"] for s in script.registrations["streams"]] == [
        "/notifications",
        "/chat/room1",
    ]


def test_the_seeds_listener_example_uploads_without_warnings(upload):
    from streams_app.models import Listener

    reply = upload("seed-listener", SEED_LISTENER)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == []
    assert list(Listener.objects.values_list("message_type", "handler")) == [
        ("user.created", "handleUserCreated")
    ]


# -- what the platform drops: a path never has two owners ------------------------


@pytest.mark.django_db(transaction=True)
def test_uploads_racing_for_one_path_leave_it_one_owner(cast):
    """Four scripts take GET /race at once, two as a route, two as a stream.

    No database constraint spans a route and a stream: only the upload's
    lock on the tenant and its checks inside the transaction keep a second
    owner out. One script keeps the path; each other upload is stored
    without it and says so (or, at worst, asks to try again).
    """
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from scripts_app.services import ScriptRejected, save_script
    from streams_app.models import StreamRoute

    route = (
        "function h() { return 'mine'; }\nrouteRegistry.registerRoute('/race', 'h');"
    )
    stream = "routeRegistry.registerStreamRoute('/race');"
    names = ["r1", "r2", "r3", "r4"]
    tenant = cast["acme"]

    def upload_one(name):
        try:
            source = stream if name in ("r1", "r3") else route
            return save_script(tenant, name, source).warnings
        except ScriptRejected as exc:  # "changed at the same time; try again"
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        answers = dict(zip(names, pool.map(upload_one, names), strict=True))

    owners = list(
        Route.objects.filter(path="/race").values_list("script__name", flat=True)
    ) + list(
        StreamRoute.objects.filter(path="/race").values_list("script__name", flat=True)
    )
    assert len(owners) == 1, (owners, answers)
    (owner,) = owners
    assert answers[owner] == []
    for name, answer in answers.items():
        if name == owner:
            continue
        assert answer == "conflict" or (
            len(answer) == 1 and f"script '{owner}' already serves it" in answer[0]
        ), answers
