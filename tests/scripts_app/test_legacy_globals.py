"""register, writeLog, listLogs(ForUri): the reference implementation's first API runs."""

import json

import pytest

from scripts_app.models import LogEntry
from scripts_app.records import buffer

# The reference implementation's scripts of October 2025 looked like this:
# handler(req), register(path, handler[, method]) and writeLog(message).
FIRST_API = """
function hello(req) { return { status: 200, body: "hello " + req.method }; }
function created(req) { return { status: 201, body: "made at " + req.path }; }
register("/legacy/hello", "hello");
register("/legacy/things", "created", "POST");
register("/legacy/arrow", (req) => ({ status: 200, body: "arrow " + req.query.x }));
register("/legacy/second", function () { return "second"; });
function named(req) { return "named"; }
register("/legacy/named", named);

function late(req) { return register("/legacy/late", () => "late"); }
register("/legacy/late-register", "late");

function logged(req) {
  writeLog("legacy-log-called " + req.query.n);
  return "logged";
}
function listed(req) { return { status: 200, body: JSON.stringify(listLogs()) }; }
function listedFor(req) {
  return { status: 200, body: JSON.stringify(listLogsForUri(req.query.uri)) };
}
register("/legacy/log", "logged");
register("/legacy/logs", "listed");
register("/legacy/logs-for", "listedFor");
"""

OTHER = """
function other(req) { writeLog("from another script"); return "other"; }
register("/legacy/other", "other");
"""

OWN_REGISTER = """
const seen = [];
function register(path) { seen.push(path); return "mine"; }
register("/not/a/route");
function show(context) { return JSON.stringify(seen); }
routeRegistry.registerRoute("/own-register", "show");
"""


@pytest.fixture
def legacy(cast, upload, records):
    buffer().clear()  # rows other tests queued point at rolled-back tenants
    reply = upload("legacy", FIRST_API)
    assert reply.status_code == 201, reply.content
    assert upload("other", OTHER).status_code == 201
    records()
    LogEntry.objects.all().delete()  # entries of the uploads
    return reply.json()


def test_register_adds_routes_by_handler_name_with_get_by_default(legacy, api):
    hello = api().get("/legacy/hello")
    made = api().post("/legacy/things")

    assert (hello.status_code, hello.content) == (200, b"hello GET")
    assert (made.status_code, made.content) == (201, b"made at /legacy/things")
    assert api().post("/legacy/hello").status_code == 405


def test_register_takes_the_handler_function_itself(legacy, api):
    routes = {r["path"]: r["handler"] for r in legacy["routes"]}

    assert api().get("/legacy/arrow?x=1").content == b"arrow 1"
    assert api().get("/legacy/second").content == b"second"
    assert api().get("/legacy/named").content == b"named"
    # An anonymous function gets a hidden name, in registration order; a
    # declared function keeps its own.
    assert routes["/legacy/arrow"] == "__register_0"
    assert routes["/legacy/second"] == "__register_1"
    assert routes["/legacy/named"] == "named"


def test_register_outside_the_load_is_refused_like_register_route(legacy, api):
    reply = api().get("/legacy/late-register")

    assert reply.content == (
        b"Error: routes can only be registered at top level or in init()"
    )
    assert api().get("/legacy/late").status_code == 404


def test_write_log_logs_and_list_logs_lists_this_scripts_messages(legacy, api, records):
    for n in (1, 2):
        api().get(f"/legacy/log?n={n}")
    api().get("/legacy/other")
    records()

    listed = json.loads(api().get("/legacy/logs").content)

    assert listed == ["legacy-log-called 2", "legacy-log-called 1"]
    levels = LogEntry.objects.filter(script_name="legacy").values_list(
        "level", flat=True
    )
    assert set(levels) == {"LOG"}


def test_list_logs_for_uri_lists_another_scripts_messages(legacy, api, records):
    api().get("/legacy/other")
    records()

    other = json.loads(api().get("/legacy/logs-for?uri=other").content)
    unknown = json.loads(api().get("/legacy/logs-for?uri=https://x.test/a").content)

    assert (other, unknown) == (["from another script"], [])


def test_a_scripts_own_register_function_wins(cast, upload, api):
    assert upload("own-register", OWN_REGISTER).status_code == 201

    assert api().get("/own-register").content == b'["/not/a/route"]'
    assert api().get("/not/a/route").status_code == 404
