"""The IOTA runtime seed's code blocks, verbatim, do what the seed says.

The seed is plain text: each block is a fixture (fixtures/iota/) named by its
section heading and exact lines, checked against the seed by
test_fixtures_are_verbatim.py. Around a block a test adds only what the seed
leaves out, never inside it:

- a fragment written at the top level with `await` or `context` (the seed's
  API Surface, Permissions, Structured Logging, Metrics...) is the body of an
  async handler, which returns the block's own variables so the test can see
  them; the Caching block, which returns a value, is the body of an async
  function of its `param`;
- names the seed uses without defining (`expensiveCalculation`) are defined
  after the block;
- how a handler is reached, which the seed does not say: a
  `routeRegistry.registerRoute` line (an HTTP endpoint), an
  `events.subscribe` line (an event handler), and a small publisher handler
  for the Event Handler block.

The HTTP Client block's https://api.example.com is a local test server that
SCRIPT_FETCH_ALLOW admits (fixtures.CHANGED says so). The blocks that call
`db` or `services` are test_documents.py's; Tenant Isolation and Batch
Operations call only `db.query`, which is not built yet.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.conformance.seeds import ROOT, fixture
from tests.e2e.conftest import installation, launch  # noqa: F401 - a fixture
from tests.e2e.servers import put_script
from tests.secrets_app.localserver import address, local_server

conforms = pytest.mark.conforms


def handler(name, block, returns=""):
    """The block as the body of `async function name(req)`, returning `returns`."""
    return (
        f"async function {name}(req) {{\n{block}"
        + (f"return {{ status: 200, body: {returns} }};\n" if returns else "")
        + "}\n"
    )


def route(path, name, method="GET"):
    return f'routeRegistry.registerRoute("{path}", "{name}", "{method}");\n'


@pytest.fixture
def run(cast, upload, api):
    """Upload a script as alice in acme; return call(method, path, user=alice)."""

    def put(name, text):
        response = upload(f"conformance-iota-{name}", text)
        assert response.status_code in (200, 201), response.content
        return lambda method, path, user="alice", **kwargs: api(
            user, "acme.test"
        ).generic(method, path, **kwargs)

    return put


def logged(script, **filters):
    from scripts_app.models import LogEntry

    return LogEntry.objects.filter(script_name=f"conformance-iota-{script}", **filters)


@conforms("context (global)")
def test_the_global_context_has_the_seeds_fields(run, cast):
    # The block, run as written, makes the seed's own object; the live
    # context, read as a global, has every field it shows.
    call = run(
        "context",
        handler("seedContext", fixture("iota", "context_object"), returns="context")
        + "async function liveContext(req) {\n"
        + "  return { status: 200, body: context };\n}\n"
        + route("/context/seed", "seedContext")
        + route("/context/live", "liveContext"),
    )
    seed = json.loads(call("GET", "/context/seed").content)
    live = json.loads(call("GET", "/context/live").content)

    assert seed["tenant"] == {"id": "uuid", "name": "Tenant Name"}
    for part in ("tenant", "user", "script", "execution"):
        assert set(seed[part]) <= set(live[part]), part
    assert live["tenant"] == {"id": "acme", "name": "Acme"}
    assert live["user"]["id"] == str(cast["alice"].pk)
    assert live["user"]["email"] == "alice@example.com"
    assert live["user"]["name"] == "alice"
    assert live["script"]["name"] == "conformance-iota-context"
    # Time-ordered: its Execution row goes at the end of the index (core.ids).
    assert uuid.UUID(live["execution"]["id"]).version == 7
    assert live["execution"]["triggeredBy"] == "http"


@conforms("context (global)")
def test_the_seeds_permission_check_reads_the_users_permissions(run, records):
    # Scripts inherit user permissions: no role grants 'reports.view', so the
    # seed's check refuses alice, the tenant's owner, with its own error.
    call = run(
        "permissions",
        handler(
            "report",
            fixture("iota", "permissions"),
            returns="{ permissions: context.user.permissions }",
        )
        + "async function mine(req) {\n"
        + "  return { status: 200, body: context.user.permissions };\n}\n"
        + route("/report", "report")
        + route("/mine", "mine"),
    )
    refused = call("GET", "/report")
    assert refused.status_code == 500
    assert "Error: Access denied" in refused.json()["error"]["message"]
    assert "reports.view" not in call("GET", "/mine").json()
    assert call("GET", "/mine").json() == [
        "scripts.create",
        "scripts.read",
        "scripts.update",
        "scripts.delete",
        "scripts.execute",
    ]
    # A viewer reads scripts; running one takes a role that writes, or a
    # grant (scripts_app.policy).
    assert call("GET", "/mine", user="charlie").json() == ["scripts.read"]


@pytest.fixture
def remote(settings):
    with local_server() as server:
        settings.SCRIPTS = {**settings.SCRIPTS, "FETCH_ALLOW": [address(server)]}
        yield server


def pointed_at(server, text):
    """The seed's https://api.example.com, as the local server (fixtures.CHANGED)."""
    return text.replace("https://api.example.com", f"http://{address(server)}")


@conforms("http.get / http.post")
def test_http_get_and_post_reach_the_server(run, remote):
    call = run(
        "http",
        handler(
            "client",
            pointed_at(remote, fixture("iota", "http_client")),
            returns="{ got: response.status, posted: posted.status }",
        )
        + route("/client", "client"),
    )
    response = call("GET", "/client")

    assert response.status_code == 200, response.content
    assert response.json() == {"got": 200, "posted": 200}
    got, posted = remote.seen
    assert (got["method"], got["path"]) == ("GET", "/data")
    assert (posted["method"], posted["path"]) == ("POST", "/data")
    assert posted["headers"]["content-type"] == "application/json"
    assert json.loads(posted["body"]) == {"key": "value"}


@conforms("storage.set / storage.get / storage.delete")
def test_storage_reads_its_own_write_and_deletes_it(run):
    from storage_app.models import StoredItem

    call = run(
        "storage",
        handler("cache", fixture("iota", "storage"), returns="{ value }")
        + "async function peek(req) {\n"
        + '  return { status: 200, body: { now: await storage.get("key") } };\n}\n'
        + route("/cache", "cache", "POST")
        + route("/peek", "peek"),
    )
    response = call("POST", "/cache")

    assert response.status_code == 200, response.content
    assert response.json() == {"value": {"data": "value"}}
    assert call("GET", "/peek").json() == {"now": None}
    assert not StoredItem.objects.filter(key="key").exists()


# The Caching block is the body of a function of `param`; the expensive
# operation counts its runs, and an HTTP handler serves what the block returns.
CACHING = """\
async function expensiveCalculation() {
  const computed = parseInt(sharedStorage.getItem("computed") || "0") + 1;
  sharedStorage.setItem("computed", String(computed));
  return { computed: computed };
}
async function calculate(req) {
  return { status: 200, body: await cached(req.query.param) };
}
"""


@conforms("storage.set / storage.get / storage.delete")
def test_a_cached_value_is_served_until_its_ttl_passes(run):
    # The Caching block: the first call computes and caches for an hour, the
    # next one is served from the cache, and one after the hour computes again.
    from storage_app.models import StoredItem

    call = run(
        "caching",
        f"async function cached(param) {{\n{fixture('iota', 'caching')}}}\n"
        + CACHING
        + route("/calculate", "calculate"),
    )
    before = timezone.now()
    first = call("GET", "/calculate?param=7")
    again = call("GET", "/calculate?param=7")

    assert first.status_code == 200, first.content
    assert first.json() == {"computed": 1}
    assert again.json() == {"computed": 1}
    item = StoredItem.objects.get(key="expensive_calculation_7")
    assert before + timedelta(seconds=3600) <= item.expires_at
    assert item.expires_at <= timezone.now() + timedelta(seconds=3600)

    item.expires_at = timezone.now() - timedelta(seconds=1)
    item.save()
    assert call("GET", "/calculate?param=7").json() == {"computed": 2}


@conforms("utils.uuid / utils.date.* / utils.crypto.hash")
def test_the_utilities_answer_as_the_seed_says(run):
    call = run(
        "utils",
        handler(
            "helpers",
            fixture("iota", "utilities"),
            returns="{ id, now, formatted, future, hash }",
        )
        + route("/utils", "helpers"),
    )
    before = datetime.now(tz=UTC)
    got = call("GET", "/utils").json()
    after = datetime.now(tz=UTC)

    assert uuid.UUID(got["id"]).version == 4
    now = datetime.fromisoformat(got["now"])
    assert before - timedelta(seconds=1) <= now <= after
    assert got["formatted"] == now.strftime("%Y-%m-%d")
    assert datetime.fromisoformat(got["future"]) == now + timedelta(days=30)
    assert got["hash"] == hashlib.sha256(b"data").hexdigest()


PUBLISHER = """\
function createOrder(req) {
  return events.publish("order.created", JSON.parse(req.body));
}
""" + route("/orders", "createOrder", "POST")


@conforms("events.publish", "event handlers (handler(event), event.data)")
def test_the_event_handler_updates_the_daily_sales_cache(run, records):
    from scripts_app.models import Execution
    from storage_app.models import StoredItem

    run(
        "analytics",
        fixture("iota", "event_handler")
        + 'events.subscribe("order.created", "handleOrderCreated");\n',
    )
    call = run("orders", PUBLISHER)
    before = timezone.now()
    published = [
        call("POST", "/orders", data=json.dumps(order), content_type="application/json")
        for order in ({"id": 1, "total": 30}, {"id": 2, "total": 12})
    ]

    for response in published:
        assert response.status_code == 200, response.content
        assert response.content == (
            b"Message 'order.created' delivered to 1 listener: 1 succeeded, 0 failed"
        )
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")
    item = StoredItem.objects.get(key=f"daily_sales_{today}")
    assert json.loads(item.value) == {"count": 2, "total": 42}
    assert before + timedelta(seconds=86400) <= item.expires_at
    records()
    assert list(logged("analytics").order_by("id").values_list("level", "message")) == [
        ("INFO", "Updated sales cache: 1 orders, $30"),
        ("INFO", "Updated sales cache: 2 orders, $42"),
    ]
    runs = Execution.objects.filter(script_name="conformance-iota-analytics")
    assert [(r.triggered_by, r.status) for r in runs] == [("event", "ok")] * 2


SUBSCRIBER = """\
function onMetric(event) {
  console.info(event.type + " from " + context.execution.triggeredBy, event.data);
}
events.subscribe("script.metric", "onMetric");
"""


@conforms("events.publish", "event handlers (handler(event), event.data)")
def test_a_published_metric_reaches_a_subscriber_script(run, records):
    run("dashboard", SUBSCRIBER)
    call = run(
        "metrics",
        handler("work", fixture("iota", "metrics"), returns='"done"')
        + route("/work", "work", "POST"),
    )
    response = call("POST", "/work")

    assert (response.status_code, response.content) == (200, b"done")
    records()
    entry = logged("dashboard").get()
    assert entry.message == "script.metric from event"
    assert entry.fields == {
        "script_name": "conformance-iota-metrics",
        "duration_ms": 1234,
        "items_processed": 500,
        "errors": 0,
    }


@conforms(
    "console.log(message, fields)",
    "structured log output (level, tenant_id, source_file)",
)
def test_a_structured_log_keeps_its_message_and_fields(run, records, api, cast):
    call = run(
        "logging",
        handler("act", fixture("iota", "structured_logging"), returns='"logged"')
        + route("/act", "act", "POST"),
    )
    assert call("POST", "/act").status_code == 200
    records()

    entry = logged("logging").get()
    assert (entry.level, entry.message) == ("LOG", "User action")
    assert (entry.tenant, entry.script_name) == (
        cast["acme"],
        "conformance-iota-logging",
    )
    assert entry.fields == {"user_id": str(cast["alice"].pk), "action": "create"}
    found = api("alice", "acme.test").get(
        "/system/api/logs",
        {"script": "conformance-iota-logging", "fields.action": "create"},
    )
    assert [e["message"] for e in found.json()["results"]] == ["User action"]
    assert found.json()["results"][0]["fields"]["user_id"] == str(cast["alice"].pk)
    # Another tenant's members never see it.
    other = api("erin", "globex.test").get(
        "/system/api/logs", {"script": "conformance-iota-logging"}
    )
    assert other.json()["results"] == []


@conforms("compilation errors (line/column)")
def test_a_syntax_error_is_refused_with_its_line_and_column(upload, cast):
    response = upload("conformance-iota-syntax", fixture("iota", "compilation_errors"))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "compile_error"
    assert "SyntaxError: Unexpected token ';'" in error["message"]
    # `const x = [;` is line 4 of the block; the `;` is its 12th column.
    assert (error["line"], error["column"]) == (4, 12)


@conforms("timeouts (SCRIPT_TIMEOUT_SECONDS)")
def test_a_runaway_loop_is_stopped_at_the_time_limit(run, records, settings):
    from scripts_app.models import Execution

    limits = {**settings.SCRIPTS["LIMITS"], "http": (0.5, 20)}
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": limits}
    call = run(
        "timeout",
        handler("spin", fixture("iota", "timeout_handling"), returns='"finished"')
        + route("/spin", "spin"),
    )
    response = call("GET", "/spin")

    assert response.status_code == 504
    records()
    assert Execution.objects.get(script_name="conformance-iota-timeout").status == (
        "timeout"
    )
    # The deviation: the block's catch never runs (see apis.py).
    assert not logged("timeout", message="Script timeout").exists()


def settings_under(environment: dict) -> list:
    """[HTTP limits, listener limits, pool size] of a process run with `environment`."""
    code = (
        "import json; from core.conf import limits_for, scripts_setting; "
        "print(json.dumps([limits_for('http'), limits_for('listener'), "
        "scripts_setting('VM_POOL_SIZE')]))"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@conforms(
    "environment: SCRIPT_TIMEOUT_SECONDS, SCRIPT_MAX_MEMORY_MB, SCRIPT_VM_POOL_SIZE",
    "environment: SCRIPTS_ENABLED, SCRIPT_VM_TIMEOUT_SECONDS",
)
def test_the_seeds_environment_variables_set_the_limits_and_the_pool():
    # The block, read as the environment it shows (comments left out); the
    # two variables the platform does not read change nothing.
    environment = dict(
        line.split("=", 1)
        for line in fixture("iota", "environment_variables").splitlines()
        if line and not line.startswith("#")
    )

    http, listener, pool = settings_under(environment)

    assert http == listener == [30.0, 128]
    # The platform's defaults are 20 s, 20 MB and 256: these are the seed's.
    assert pool == 10


@conforms(
    "script permissions (ScriptCreate / ScriptRead / ScriptUpdate / ScriptDelete)"
)
def test_the_script_permissions_follow_the_users_role(api, cast):
    # permissions.ScriptCreate/Read/Update/Delete, as context.user.permissions
    # lists them (scripts.create...): a developer has all four, a viewer only
    # reads, and a user with no role in the tenant has none.
    def client(user):
        return api(user, "acme.test")

    def put(user, source="var x = 1;"):
        return client(user).put(
            "/system/scripts/conformance-iota-perms",
            data=source.encode(),
            content_type="application/javascript",
        )

    assert put("charlie").status_code == 403
    assert put("dave").status_code == 403
    assert put("bob").status_code == 201
    assert (
        client("charlie").get("/system/scripts/conformance-iota-perms").status_code
        == 200
    )
    assert (
        client("dave").get("/system/scripts/conformance-iota-perms").status_code == 403
    )
    assert put("charlie", "var x = 2;").status_code == 403
    assert put("bob", "var x = 2;").status_code == 200
    assert (
        client("charlie").delete("/system/scripts/conformance-iota-perms").status_code
        == 403
    )
    assert (
        client("bob").delete("/system/scripts/conformance-iota-perms").status_code
        == 204
    )


# -- the HTTP endpoint, over real HTTP ------------------------------------------------


@pytest.fixture(scope="module")
def site(installation):  # noqa: F811 - the fixture imported above
    with launch(installation) as server:
        uploaded = put_script(
            server,
            "conformance-iota-sales-report",
            fixture("iota", "http_endpoint")
            + route("/api/custom/sales-report", "handleRequest"),
        )
        assert uploaded.status_code == 201, uploaded.text
        yield server


@pytest.mark.server
@conforms("HTTP endpoint scripts (/api/custom/... path, {status, body} reply)")
def test_the_sales_report_endpoint_checks_the_callers_permission(site):
    # The seed's own URL. The admin owns the tenant but, like every user, has
    # no 'reports.view': the report's 403 comes before its db.query (issue 15).
    with site.client(headers=site.auth) as client:
        response = client.get(
            "/api/custom/sales-report?start=2024-01-01&end=2024-01-31"
        )

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "Access denied"}
