"""The seeds' blocks over the document store (issue 15), verbatim.

IOTA: `db` and `services` over the tenant's collections (a collection
"clients" holds the store's entities /clients/<id>). Around a block a test
adds only what the seed leaves out (test_iota.py says how): the block is the
body of an async handler reached by a route, names it uses without defining
(`userID`, `clientID`) are defined before it, and what it works on is seeded
in the store first.

Predix: the Example Script bound by a trigger to a collection, as a
pre-processing script; the execution modes, `@inject current`, the number of
executions per method and the limits, as the seed's Scripts page describes
them (it has no other code blocks).
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from documents_app.models import Entity
from tests.conformance.seeds import fixture
from triggers_app.models import SystemMessage

conforms = pytest.mark.conforms

pytestmark = pytest.mark.django_db(transaction=True)


def iso_days_ago(days: int) -> str:
    """An ISO time as utils.date.now() writes it (UTC, milliseconds, Z)."""
    when = datetime.now(UTC) - timedelta(days=days)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seed(cast, collection, *objects, tenant="acme"):
    for obj in objects:
        uri = f"/{collection}/{obj['id']}"
        Entity.objects.create(
            tenant=cast[tenant],
            collection=collection,
            uri=uri,
            body={**obj, "uri": uri},
        )


def handler(name, block, before="", returns=""):
    return (
        f"async function {name}(req) {{\n{before}{block}"
        + (f"return {{ status: 200, body: {returns} }};\n" if returns else "")
        + "}\n"
    )


def route(path, name, method="GET"):
    return f'routeRegistry.registerRoute("{path}", "{name}", "{method}");\n'


@pytest.fixture
def run(upload, api):
    """Upload a script; return call(method, path, **kwargs) as alice in acme."""

    def put(name, text):
        response = upload(f"conformance-docs-{name}", text)
        assert response.status_code in (200, 201), response.content
        return lambda method, path, **kwargs: api("alice", "acme.test").generic(
            method, path, **kwargs
        )

    return put


# -- IOTA: db and services --------------------------------------------------------


USERS = (
    {"id": "u1", "email": "test@example.com", "status": "active"},
    {"id": "u2", "email": "other@example.com", "status": "active"},
    {"id": "u3", "email": "gone@example.com", "status": "inactive"},
)


@conforms("db.findOne / db.findMany")
def test_database_access_finds_one_and_many(run, cast):
    seed(cast, "users", *USERS)
    block = fixture("iota", "database_access")
    without_sql = "".join(
        line for line in block.splitlines(keepends=True) if "db.query" not in line
    )
    call = run(
        "db",
        handler(
            "lookup",
            without_sql,
            returns="{ user: user.id, users: users.map(u => u.id) }",
        )
        + route("/conformance/db", "lookup"),
    )

    body = call("GET", "/conformance/db").json()

    assert body == {"user": "u1", "users": ["u1", "u2"]}


def test_db_query_says_it_is_not_available_yet(run, cast):
    seed(cast, "users", *USERS)
    call = run(
        "db-sql",
        handler(
            "lookup",
            fixture("iota", "database_access"),
            before="const userID = 'u1';\n",
        )
        + route("/conformance/db-sql", "lookup"),
    )

    reply = call("GET", "/conformance/db-sql")

    assert reply.status_code == 500
    message = reply.json()["error"]["message"]
    assert "db.query(sql, params) is not available yet" in message
    assert "db.findOne(collection, where)" in message


@conforms("services.*")
def test_the_service_layer_lists_gets_and_creates(run, cast):
    seed(cast, "clients", *({"id": f"c{i}", "name": f"Client {i}"} for i in range(3)))
    call = run(
        "services",
        handler(
            "clients",
            fixture("iota", "service_layer"),
            before="const clientID = 'c1';\n",
            returns="{ clients: clients.length, client: client.name, newClient }",
        )
        + route("/conformance/services", "clients", "POST"),
    )

    body = call("POST", "/conformance/services").json()

    assert body["clients"] == 3
    assert body["client"] == "Client 1"
    assert body["newClient"]["name"] == "New Client"
    created = Entity.objects.get(uri=f"/clients/{body['newClient']['id']}")
    assert created.body["name"] == "New Client"


@conforms("services.*")
def test_a_service_error_is_caught_with_its_message(run, records):
    from scripts_app.models import LogEntry

    call = run(
        "errors",
        handler("fails", fixture("iota", "runtime_errors"), returns='"ok"')
        + route("/conformance/errors", "fails"),
    )

    assert call("GET", "/conformance/errors").status_code == 200
    records()
    (entry,) = LogEntry.objects.filter(script_name="conformance-docs-errors")
    assert entry.level == "ERROR"
    assert entry.message == (
        "Service error: services.clients.get: the id must be a non-empty string "
        "or a number, got null"
    )


@conforms("services.*")
def test_order_validation_checks_stock_and_products(run, cast):
    seed(
        cast,
        "products",
        {"id": "p1", "name": "Pump", "stock": 5},
        {"id": "p2", "name": "Valve", "stock": 0},
    )
    seed(cast, "clients", {"id": "k1", "name": "Kim", "credit_limit": 0})
    # The rule as a route's handler reads it: the order is the request's body.
    call = run(
        "orders",
        fixture("iota", "order_validation") + "async function check(req) {\n"
        "  return { status: 200, body: await validateOrder(JSON.parse(req.body)) };\n}\n"
        + route("/conformance/orders", "check", "POST"),
    )
    order = {
        "customer_id": "k1",
        "total": 10,
        "items": [
            {"product_id": "p1", "quantity": 2},
            {"product_id": "p2", "quantity": 1},
            {"product_id": "p9", "quantity": 1},
        ],
    }

    body = call(
        "POST",
        "/conformance/orders",
        data=json.dumps(order),
        content_type="application/json",
    ).json()

    assert body == {
        "valid": False,
        "errors": ["Insufficient stock for Valve", "Product not found: p9"],
    }


# -- Predix: triggers on the document store ---------------------------------------


def example() -> str:
    """The Example Script without its callout markers (fixtures.CHANGED)."""
    return re.sub(
        r"(?m)^\(\d+\)",
        lambda marker: " " * len(marker.group()),
        fixture("predix", "example_script"),
    )


def header(execution, methods="POST, PUT, PATCH, DELETE, GET", extra=""):
    return f"/**\n * @execution {execution}\n * @methods {methods}\n{extra} */\n"


@pytest.fixture
def bind(api):
    def post(name, script, on="/assets", methods=("POST", "PUT"), **more):
        reply = api("alice", "acme.test").post(
            "/system/triggers",
            {
                "uri": f"/system/triggers/{name}",
                "onReferenceTo": on,
                "methods": list(methods),
                "script": script,
                **more,
            },
            format="json",
        )
        assert reply.status_code == 201, reply.content

    return post


@pytest.fixture
def client(api):
    return api("alice", "acme.test")


@conforms(
    "@execution modes (pre-, post-processing, custom)",
    "top-level yield",
    "$ SDK (beyond $.uuid)",
    "script header tags (@name, @methods, @param, @execution)",
)
def test_the_example_script_cancels_requests_with_missing_links(upload, bind, client):
    assert upload("validate-links-exist", example()).status_code == 201
    bind(
        "validate", "validate-links-exist", scriptParameters={"properties": ["parent"]}
    )

    missing = client.post("/store/assets", {"uri": "/assets/a"}, format="json")
    dangling = client.put("/store/assets/a", {"parent": "/sites/x"}, format="json")
    client.put("/store/sites/x", {}, format="json")
    linked = client.put("/store/assets/a", {"parent": "/sites/x"}, format="json")

    assert missing.status_code == 422
    assert (
        missing.json()["error"]["message"]
        == "/assets/a does not have a parent property"
    )
    assert dangling.status_code == 422
    assert dangling.json()["error"]["message"] == (
        "/assets/a parent property does not link to entity"
    )
    assert linked.status_code == 201
    assert Entity.objects.get(uri="/assets/a").body["parent"] == "/sites/x"


@conforms("@execution modes (pre-, post-processing, custom)")
def test_post_processing_runs_after_the_write_and_custom_answers(
    upload, bind, client, background
):
    upload(
        "copy",
        header("post-processing", "POST")
        + "yield $.put('/copies/' + o.uri.split('/')[2], {of: o.uri});",
    )
    upload(
        "count",
        header("custom", "GET") + "const r = yield $.get('/copies');\n"
        "$.setResponse({status: 200, body: {copies: r.body.length}});",
    )
    bind("copy", "copy", methods=["POST"])
    bind("count", "count", on="/custom/count", methods=["GET"])

    client.post(
        "/store/assets", [{"uri": "/assets/a"}, {"uri": "/assets/b"}], format="json"
    )
    background()

    assert client.get("/custom/count").json() == {"copies": 2}


@conforms("@inject")
def test_inject_current_gives_post_processing_the_entity_before_the_write(
    upload, bind, client, background
):
    upload(
        "diff",
        header("post-processing", "PUT", " * @inject current\n")
        + "$.log(JSON.stringify($.deepDiff(current, o)));",
    )
    bind("diff", "diff", methods=["PUT"])
    client.put("/store/assets/a", {"rpm": 1}, format="json")
    background()

    client.put("/store/assets/a", {"rpm": 2}, format="json")
    background()

    said = [
        m
        for message in SystemMessage.objects.order_by("created_at")
        for report in message.post_processing
        for m in report["messages"]
    ]
    assert said[-1] == json.dumps(
        [{"kind": "E", "path": ["rpm"], "lhs": 1, "rhs": 2}], separators=(",", ":")
    )


@conforms("number of executions (one per entity of a POST)")
def test_a_post_of_three_entities_runs_each_script_three_times(
    upload, bind, client, background
):
    upload("pre", header("pre-processing") + "$.log('pre ' + o.uri);")
    upload("post", header("post-processing") + "$.log('post ' + o.uri);")
    bind("pre", "pre")
    bind("post", "post", methods=["POST", "PUT"])

    client.post(
        "/store/assets", [{"uri": f"/assets/{i}"} for i in range(3)], format="json"
    )
    client.put("/store/assets/0", {}, format="json")
    background()

    said = sorted(
        m
        for message in SystemMessage.objects.all()
        for phase in (message.pre_processing, message.post_processing)
        for report in phase
        for m in report["messages"]
    )
    assert said == sorted(
        [f"{p} /assets/{i}" for p in ("pre", "post") for i in range(3)]
        + ["pre /assets/0", "post /assets/0"]
    )


@conforms("resource limitations (time, memory, concurrency)")
def test_a_pre_processing_script_past_two_seconds_fails_the_request(
    upload, bind, client
):
    upload("spin", header("pre-processing") + "while (true) {}")
    bind("spin", "spin")

    reply = client.post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 504
    assert "ran past its time limit" in reply.json()["error"]["message"]
    assert not Entity.objects.exists()


@conforms("resource limitations (time, memory, concurrency)")
def test_a_failing_post_processing_script_leaves_a_system_message(
    upload, bind, client, background
):
    upload("broken", header("post-processing") + "nothing();")
    bind("broken", "broken", methods=["POST"])

    reply = client.post("/store/assets", {"uri": "/assets/a"}, format="json")
    background()

    assert reply.status_code == 201
    (message,) = client.get("/system/messages").json()
    (report,) = message["postProcessing"]
    assert "ReferenceError: nothing is not defined" in report["messages"][0]


# -- IOTA: the cron job's body, run by hand ------------------------------------------


@conforms("services.*", "one-off scripts (manual runs, ScriptExecute)")
def test_the_cron_jobs_main_notifies_inactive_clients(upload, api, cast, mailoutbox):
    seed(
        cast,
        "clients",
        {
            "id": "c1",
            "name": "Ann",
            "email": "ann@example.com",
            "last_activity": iso_days_ago(45),
        },
        {
            "id": "c2",
            "name": "Bob",
            "email": "bob@example.com",
            "last_activity": iso_days_ago(31),
        },
        {
            "id": "c3",
            "name": "Cy",
            "email": "cy@example.com",
            "last_activity": iso_days_ago(2),
        },
    )
    assert upload("notify", fixture("iota", "cron_job")).status_code == 201

    reply = api("alice", "acme.test").post(
        "/system/api/scripts/notify/run", {"handler": "main"}, format="json"
    )

    assert reply.status_code == 200, reply.content
    assert reply.json()["result"] == {"success": True, "processed": 2, "notified": 2}
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@example.com", "bob@example.com"]
    assert {m.subject for m in mailoutbox} == {"We miss you!"}
    assert "Hello Ann, we haven't seen you in 30 days." in [m.body for m in mailoutbox]


@conforms("cron scripts (async function main)")
def test_the_cron_job_runs_main_on_its_schedule(upload, cast, mailoutbox):
    """The block with the schedule its comment gives as an @cron header
    (added above it: the seed sets the schedule outside the script); the
    scheduler's task function runs its due run, as beat's tick would."""
    from asgiref.sync import async_to_sync

    from scheduler_app import runner
    from scheduler_app.models import Job
    from scripts_app.models import Script

    seed(
        cast,
        "clients",
        {
            "id": "c1",
            "name": "Ann",
            "email": "ann@example.com",
            "last_activity": iso_days_ago(40),
        },
    )
    header = "/**\n * @cron 0 9 * * *\n */\n"
    assert (
        upload("notify-cron", header + fixture("iota", "cron_job")).status_code == 201
    )
    Script.objects.filter(name="notify-cron").update(privileged=True)
    assert (
        upload("notify-cron", header + fixture("iota", "cron_job")).status_code == 200
    )
    (job,) = Job.objects.filter(script__name="notify-cron")
    assert (job.handler, job.type, job.cron) == ("main", "cron", "0 9 * * *")
    assert (job.next_run_at.hour, job.next_run_at.minute) == (9, 0)

    outcome = async_to_sync(runner.run_job)(job.id, job.next_run_at)

    assert outcome.error is None
    assert outcome.value == {"success": True, "processed": 1, "notified": 1}
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
