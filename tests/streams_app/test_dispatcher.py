"""dispatcher.sendMessage / events.publish deliver to every listener of the tenant."""

import json

from scripts_app.models import Script
from tests.streams_app.dispatching import (
    listener_runs,
    logs,
    put,
    shared,
    shared_json,
)

USERS = """
async function createUser(context) {
  const name = context.request.query.name;
  sharedStorage.setItem("user:" + name, name);
  const result = await dispatcher.sendMessage(
    "user.created", JSON.stringify({ username: name, email: name + "@example.com" }));
  console.log("User creation event: " + result);
  return { status: 201, body: { result: result } };
}
async function createThenFail(context) {
  sharedStorage.setItem("user:" + context.request.query.name, "never stored");
  await dispatcher.sendMessage("user.created", JSON.stringify({ username: "late" }));
  throw new Error("the sender failed after sending");
}
async function shout(context) {
  return await dispatcher.sendMessage(context.request.query.type, "{}");
}
function init(context) {
  routeRegistry.registerRoute("/users", "createUser", "POST");
  routeRegistry.registerRoute("/users/failing", "createThenFail", "POST");
  routeRegistry.registerRoute("/shout", "shout", "POST");
}
"""

# A listener that keeps everything it was given, and counts its messages.
RECORDER = """
async function onUserCreated(context) {
  const seen = {
    messageType: context.messageType,
    messageData: context.messageData,
    type: context.type,
    data: context.data,
    meta: context.meta,
    kind: context.kind,
    request: context.request,
    user: context.user,
    triggeredBy: context.execution.triggeredBy,
    script: context.script.name,
  };
  const count = parseInt((await sharedStorage.getItem("count")) || "0") + 1;
  sharedStorage.setItem("count", String(count));
  sharedStorage.setItem("last", JSON.stringify(seen));
  console.log("NAME saw " + context.messageData.username);
}
function init(context) {
  dispatcher.registerListener("user.created", "onUserCreated");
}
"""

FRAGILE = """
function onUserCreated(context) {
  sharedStorage.setItem("half-done", "yes");
  throw new Error("fragile listener broke on " + context.messageData.username);
}
dispatcher.registerListener("user.created", "onUserCreated");
"""


def recorder(name):
    return RECORDER.replace("NAME", name)


def post(api, path, host="acme.test"):
    return api(None, host).post(path)


def test_listeners_in_two_scripts_receive_the_type_and_the_parsed_data(
    cast, upload, api, records
):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "mailer", recorder("mailer"))
    put(upload, "users", USERS)

    reply = post(api, "/users?name=ada")

    assert reply.status_code == 201, reply.content
    assert reply.json() == {
        "result": "Message 'user.created' delivered to 2 listeners: "
        "2 succeeded, 0 failed"
    }
    for name in ("analytics", "mailer"):
        seen = shared_json(cast["acme"], name, "last")
        data = {"username": "ada", "email": "ada@example.com"}
        assert seen == {
            "messageType": "user.created",
            "messageData": data,
            "type": "user.created",
            "data": data,
            "meta": {"sender": "users", "depth": 1},
            "kind": "listener",
            "request": None,
            "user": None,
            "triggeredBy": "event",
            "script": name,
        }
    records()
    runs = listener_runs().order_by("started_at")
    assert [(r.script_name, r.handler, r.trigger, r.status) for r in runs] == [
        ("analytics", "onUserCreated", "message user.created", "ok"),
        ("mailer", "onUserCreated", "message user.created", "ok"),
    ]
    assert logs("mailer").get().message == "mailer saw ada"
    assert "delivered to 2 listeners" in logs("users").get().message


def test_each_message_is_delivered_once_to_each_listener(cast, upload, api):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)

    for name in ("ada", "grace", "alan"):
        assert post(api, f"/users?name={name}").status_code == 201

    assert shared(cast["acme"], "analytics", "count") == "3"
    assert shared_json(cast["acme"], "analytics", "last")["data"]["username"] == "alan"


def test_a_message_nobody_listens_to_says_so(cast, upload, api):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)

    reply = post(api, "/shout?type=nobody.cares")

    assert reply.status_code == 200
    assert reply.content.decode() == "No listeners for message type 'nobody.cares'"
    assert shared(cast["acme"], "analytics", "count") is None


def test_a_listener_that_throws_does_not_stop_the_others(cast, upload, api, records):
    put(upload, "fragile", FRAGILE)  # registered first: runs first
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)

    reply = post(api, "/users?name=ada")

    assert reply.status_code == 201
    assert reply.json()["result"] == (
        "Message 'user.created' delivered to 2 listeners: 1 succeeded, 1 failed"
    )
    assert shared(cast["acme"], "analytics", "count") == "1"
    # The failed listener's writes are not applied, the sender's are.
    assert shared(cast["acme"], "fragile", "half-done") is None
    assert shared(cast["acme"], "users", "user:ada") == "ada"
    records()
    failed = listener_runs("fragile").get()
    assert failed.status == "error"
    assert "fragile listener broke on ada" in failed.error
    error = logs("fragile", "ERROR").get()
    assert error.execution_id == failed.id
    assert "fragile listener broke on ada" in error.message
    assert listener_runs("analytics").get().status == "ok"


def test_a_listeners_writes_are_its_own_and_survive_a_failing_sender(
    cast, upload, api, records
):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)

    reply = post(api, "/users/failing?name=bob")

    assert reply.status_code == 500
    assert "the sender failed after sending" in reply.json()["error"]["message"]
    assert shared(cast["acme"], "analytics", "count") == "1"
    assert shared(cast["acme"], "users", "user:bob") is None


IOTA_HANDLER = """
// Event Handler: Update Analytics (the IOTA runtime's example)
async function handleOrderCreated(event) {
  const order = event.data;
  const cacheKey = "daily_sales_" + event.type;
  const current = (await storage.get(cacheKey)) || { count: 0, total: 0 };
  current.count += 1;
  current.total += order.total;
  await storage.set(cacheKey, current, 86400);
  console.info(`Updated sales cache: ${current.count} orders, $${current.total}`);
}
events.subscribe("order.created", "handleOrderCreated");
"""

IOTA_PUBLISHER = """
async function order(context) {
  const total = Number(context.request.query.total);
  const result = await events.publish("order.created", { id: 7, total: total });
  return { status: 200, body: { result: result } };
}
routeRegistry.registerRoute("/orders", "order", "POST");
"""


def test_iota_events_publish_reaches_a_handler_reading_event_data(
    cast, upload, api, records
):
    put(upload, "sales-analytics", IOTA_HANDLER)
    put(upload, "orders", IOTA_PUBLISHER)

    first = post(api, "/orders?total=30")
    second = post(api, "/orders?total=12")

    assert first.json()["result"] == (
        "Message 'order.created' delivered to 1 listener: 1 succeeded, 0 failed"
    )
    assert second.status_code == 200
    from storage_app.models import StoredItem

    item = StoredItem.objects.get(
        tenant=cast["acme"], namespace="tenant", key="daily_sales_order.created"
    )
    assert json.loads(item.value) == {"count": 2, "total": 42}
    records()
    assert "Updated sales cache: 2 orders, $42" in [
        e.message for e in logs("sales-analytics", "INFO")
    ]


def test_delivery_stays_inside_the_senders_tenant(cast, upload, api):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)
    # globex has a listener of the same type, in a script of the same name.
    put(upload, "analytics", recorder("analytics"), host="globex.test")
    put(upload, "other-analytics", recorder("other"), host="globex.test")
    put(upload, "users", USERS, host="globex.test")

    from_acme = post(api, "/users?name=ada")

    assert from_acme.json()["result"].startswith(
        "Message 'user.created' delivered to 1 listener:"
    )
    assert shared(cast["acme"], "analytics", "count") == "1"
    assert shared(cast["globex"], "analytics", "count") is None
    assert shared(cast["globex"], "other-analytics", "count") is None

    from_globex = post(api, "/users?name=erin", host="globex.test")

    assert from_globex.json()["result"].startswith(
        "Message 'user.created' delivered to 2 listeners:"
    )
    assert shared(cast["acme"], "analytics", "count") == "1"
    assert shared(cast["globex"], "analytics", "count") == "1"
    assert shared_json(cast["globex"], "analytics", "last")["data"]["username"] == (
        "erin"
    )


VERSIONED = """
function onUserCreated(context) {
  sharedStorage.setItem("handled-by", "VERSION");
}
dispatcher.registerListener("user.created", "onUserCreated");
"""


def test_a_new_version_of_a_listener_script_gets_the_next_message(
    cast, upload, api, records
):
    put(upload, "versioned", VERSIONED.replace("VERSION", "v1"))
    put(upload, "users", USERS)
    post(api, "/users?name=ada")
    assert shared(cast["acme"], "versioned", "handled-by") == "v1"

    put(upload, "versioned", VERSIONED.replace("VERSION", "v2"))
    post(api, "/users?name=grace")

    assert shared(cast["acme"], "versioned", "handled-by") == "v2"
    records()
    assert sorted(listener_runs("versioned").values_list("version", flat=True)) == [
        1,
        2,
    ]

    put(upload, "versioned", "function nothing(context) {}")
    reply = post(api, "/users?name=alan")

    assert reply.json()["result"] == "No listeners for message type 'user.created'"


def test_a_disabled_script_gets_no_messages(cast, upload, api):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)
    script = Script.objects.get(tenant=cast["acme"], name="analytics")
    script.enabled = False
    script.save()

    reply = post(api, "/users?name=ada")

    assert reply.json()["result"] == "No listeners for message type 'user.created'"
    assert shared(cast["acme"], "analytics", "count") is None


def test_a_deleted_listener_script_gets_no_messages(cast, upload, api):
    put(upload, "analytics", recorder("analytics"))
    put(upload, "users", USERS)
    post(api, "/users?name=ada")

    deleted = api("alice").delete("/system/scripts/analytics")
    reply = post(api, "/users?name=grace")

    assert deleted.status_code in (200, 204)
    assert reply.json()["result"] == "No listeners for message type 'user.created'"


SELF_LISTENER = """
async function announce(context) {
  const result = await dispatcher.sendMessage("note.added", JSON.stringify({ n: 1 }));
  return result + " / " + ((await sharedStorage.getItem("heard")) || "nothing heard");
}
function onNote(context) {
  sharedStorage.setItem("heard", "heard note " + context.messageData.n);
}
function alsoOnNote(context) {
  sharedStorage.setItem("also", "yes");
}
routeRegistry.registerRoute("/announce", "announce", "POST");
dispatcher.registerListener("note.added", "onNote");
dispatcher.registerListener("note.added", "alsoOnNote");
"""


def test_a_script_may_listen_to_what_it_sends(cast, upload, api):
    put(upload, "notes", SELF_LISTENER)

    reply = post(api, "/announce")

    assert reply.status_code == 200, reply.content
    # The listeners' writes landed before the sender went on, so it reads them.
    assert reply.content.decode() == (
        "Message 'note.added' delivered to 2 listeners: 2 succeeded, 0 failed"
        " / heard note 1"
    )
    assert shared(cast["acme"], "notes", "also") == "yes"


def test_the_admin_lists_listeners_read_only(cast, upload):
    from django.test import Client

    from tests.cast import PASSWORD

    put(upload, "analytics", recorder("analytics"))
    client = Client()
    assert client.login(username="root", password=PASSWORD)

    listed = client.get("/system/admin/streams_app/listener/")
    add = client.get("/system/admin/streams_app/listener/add/")

    assert listed.status_code == 200
    assert b"user.created" in listed.content
    assert b"onUserCreated" in listed.content
    assert add.status_code == 403


BARE_SENDER = """
async function bare(context) {
  return await dispatcher.sendMessage("user.created");
}
routeRegistry.registerRoute("/bare", "bare", "POST");
"""


def test_message_data_left_out_is_an_empty_object(cast, upload, api):
    put(upload, "analytics", recorder("analytics").replace("NAME saw", "saw"))
    put(upload, "bare", BARE_SENDER)

    reply = post(api, "/bare")

    assert reply.content.decode().endswith("1 succeeded, 0 failed")
    seen = shared_json(cast["acme"], "analytics", "last")
    assert (seen["messageData"], seen["data"]) == ({}, {})
