"""What the dispatcher refuses: cycles past the depth limit, big messages, bad
registrations, sends at load time, and sending a message twice on a re-run."""

import pytest

from scripts_app.models import Execution
from storage_app.models import StoredItem
from tests.streams_app.dispatching import listener_runs, logs, put, shared


def post(api, path, host="acme.test"):
    return api(None, host).post(path)


# Listens to "ping" and sends "ping" again: a cycle of one script.
ECHO = """
async function start(context) {
  return await dispatcher.sendMessage("ping", JSON.stringify({ hop: 0 }));
}
async function onPing(context) {
  sharedStorage.setItem("depth:" + context.meta.depth, String(context.messageData.hop));
  try {
    const result = await dispatcher.sendMessage(
      "ping", JSON.stringify({ hop: context.messageData.hop + 1 }));
    console.log("depth " + context.meta.depth + " sent: " + result);
  } catch (e) {
    console.warn("depth " + context.meta.depth + " could not send: " + e.message);
  }
}
routeRegistry.registerRoute("/echo/start", "start", "POST");
dispatcher.registerListener("ping", "onPing");
"""


def test_a_listener_sending_its_own_message_is_cut_at_the_depth_limit(
    cast, upload, api, records, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "DISPATCH_MAX_DEPTH": 3}
    put(upload, "echo", ECHO)

    reply = post(api, "/echo/start")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "Message 'ping' delivered to 1 listener: 1 succeeded, 0 failed"
    )
    stored = [shared(cast["acme"], "echo", f"depth:{d}") for d in range(1, 5)]
    assert stored == ["0", "1", "2", None]
    records()
    # The script's own listener ran in the request's context, three deep,
    # as part of the request's invocation (no executions of its own).
    assert listener_runs("echo").count() == 0
    error = logs("echo", "ERROR").get()
    assert "Message 'ping' was not delivered" in error.message
    assert "over the limit of 3 (SCRIPT_DISPATCH_MAX_DEPTH)" in error.message
    assert "sends the message it listens to" in error.message
    refused = logs("echo", "WARN").get()
    assert refused.message.startswith("depth 3 could not send: Message 'ping'")
    request = Execution.objects.get(kind="http", script_name="echo")
    assert error.execution_id == refused.execution_id == request.id
    assert request.status == "ok"


PING = """
async function start(context) {
  return await dispatcher.sendMessage("ping", "{}");
}
async function onPing(context) {
  return await dispatcher.sendMessage("pong", "{}");
}
routeRegistry.registerRoute("/ping/start", "start", "POST");
dispatcher.registerListener("ping", "onPing");
"""

PONG = """
async function onPong(context) {
  return await dispatcher.sendMessage("ping", "{}");
}
dispatcher.registerListener("pong", "onPong");
"""


def test_two_scripts_sending_to_each_other_stop_at_the_default_limit(
    cast, upload, api, records
):
    put(upload, "pinger", PING)
    put(upload, "ponger", PONG)

    reply = post(api, "/ping/start")

    assert reply.status_code == 200
    records()
    runs = listener_runs()
    # Depths 1 to 8 (SCRIPT_DISPATCH_MAX_DEPTH's default): ping at odd depths.
    # Depth 1 is pinger's own listener, run inside the request; the others
    # ran in contexts of their own (pinger's first one was busy sending).
    assert runs.filter(script_name="pinger").count() == 3
    assert runs.filter(script_name="ponger").count() == 4
    # The listener at depth 8 did not catch the refusal, so it failed; its
    # sender at depth 7 reported that and went on; everything above succeeded.
    failed = runs.get(status="error")
    assert failed.script_name == "ponger"
    assert "SCRIPT_DISPATCH_MAX_DEPTH" in failed.error
    assert runs.filter(status="ok").count() == 6
    error = logs("ponger", "ERROR").filter(message__startswith="Message 'ping' was")
    assert error.get().execution_id == failed.id
    assert reply.content.decode() == (
        "Message 'ping' delivered to 1 listener: 1 succeeded, 0 failed"
    )


SENDER = """
async function big(context) {
  const size = Number(context.request.query.size);
  try {
    return await dispatcher.sendMessage("blob", JSON.stringify({ s: "x".repeat(size) }));
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
routeRegistry.registerRoute("/big", "big", "POST");
"""

BLOB_LISTENER = """
function onBlob(context) {
  sharedStorage.setItem("size", String(context.messageData.s.length));
}
dispatcher.registerListener("blob", "onBlob");
"""


def test_a_message_over_the_size_limit_is_refused(cast, upload, api, settings, records):
    settings.SCRIPTS = {**settings.SCRIPTS, "DISPATCH_MAX_MESSAGE_BYTES": 100}
    put(upload, "blobs", BLOB_LISTENER)
    put(upload, "sender", SENDER)

    fits = post(api, "/big?size=90")  # {"s":"..."} is 8 bytes more: 98
    too_big = post(api, "/big?size=93")

    assert fits.content.decode().startswith("Message 'blob' delivered to 1 listener")
    assert too_big.content.decode().startswith(
        "RangeError: Message 'blob' was not delivered: its data is 101 bytes"
    )
    assert "(SCRIPT_DISPATCH_MAX_MESSAGE_BYTES)" in too_big.content.decode()
    assert shared(cast["acme"], "blobs", "size") == "90"
    records()
    assert listener_runs("blobs").count() == 1
    assert "101 bytes" in logs("sender", "ERROR").get().message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'dispatcher.registerListener("", "h");',
            "message type cannot be empty",
        ),
        (
            'dispatcher.registerListener("user.created", "");',
            "listener handler name cannot be empty",
        ),
        (
            'dispatcher.registerListener(42, "h");',
            "message type must be a non-empty string",
        ),
        (
            'dispatcher.registerListener("x".repeat(201), "h");',
            "message type is longer than 200 characters",
        ),
        (
            'dispatcher.registerListener("user.created", "missing");',
            "listener for 'user.created' names handler 'missing', which is not "
            "a function in this script",
        ),
        (
            'dispatcher.registerListener("user.created", h);',
            "listener handler name must be a function name",
        ),
        (
            'events.subscribe("order.created", "nope");',
            "names handler 'nope'",
        ),
    ],
)
def test_invalid_listener_registrations_register_nothing_and_are_warnings(
    cast, upload, source, message
):
    reply = upload("bad-listener", "function h(context) {}\n" + source)

    assert reply.status_code == 201, reply.content
    (warning,) = reply.json()["warnings"]
    assert message in warning
    from streams_app.models import Listener

    assert not Listener.objects.exists()


@pytest.mark.parametrize(
    "source",
    [
        'dispatcher.sendMessage("user.created", "{}");',
        'function init(context) { dispatcher.sendMessage("user.created", "{}"); }',
        'async function init(context) { await events.publish("order.created", {}); }',
    ],
    ids=["top-level", "init", "iota-init"],
)
def test_sending_while_the_script_loads_is_refused_at_upload(cast, upload, api, source):
    put(upload, "analytics", BLOB_LISTENER.replace("blob", "user.created"))

    reply = upload("early-sender", "function h(context) {}\n" + source)

    assert reply.status_code == 400, reply.content
    assert (
        "messages cannot be sent while the script loads"
        in (reply.json()["error"]["message"])
    )
    assert shared(cast["acme"], "analytics", "size") is None


MISTAKES = """
function notJson(context) {
  try {
    dispatcher.sendMessage("user.created", "{not json");
    return "sent";
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
function noType(context) {
  try {
    events.publish("", {});
    return "sent";
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
routeRegistry.registerRoute("/mistakes/json", "notJson", "POST");
routeRegistry.registerRoute("/mistakes/type", "noType", "POST");
"""


def test_bad_arguments_throw_at_once_even_without_await(cast, upload, api):
    put(upload, "mistakes", MISTAKES)

    not_json = post(api, "/mistakes/json").content.decode()
    no_type = post(api, "/mistakes/type").content.decode()

    assert not_json.startswith(
        "TypeError: dispatcher.sendMessage: message data must be a JSON string"
    )
    assert no_type == "TypeError: events.publish: message type cannot be empty"


# The sender reads the tenant-wide "n", another script's listener changes it,
# then the sender writes it: a storage conflict. Running the sender again
# would send the message again.
TALLY = """
async function bump(context) {
  const n = (await storage.get("n")) || 0;
  await dispatcher.sendMessage("tally.bump", "{}");
  await storage.set("n", n + 100);
  return "done";
}
routeRegistry.registerRoute("/tally", "bump", "POST");
"""

TALLY_LISTENER = """
async function onBump(context) {
  await storage.set("n", ((await storage.get("n")) || 0) + 1);
}
dispatcher.registerListener("tally.bump", "onBump");
"""


def test_a_sender_is_not_run_again_after_its_message_was_delivered(
    cast, upload, api, records
):
    put(upload, "tally", TALLY)
    put(upload, "tally-listener", TALLY_LISTENER)

    reply = post(api, "/tally")

    assert reply.status_code == 500
    assert "could not be run again safely" in reply.json()["error"]["message"]
    # The listener ran once and its write stands; the sender's did not land.
    item = StoredItem.objects.get(tenant=cast["acme"], namespace="tenant", key="n")
    assert item.value == "1"
    records()
    assert listener_runs("tally-listener").count() == 1


# The sender and its own listener change the same key in one invocation: the
# listener runs in the sender's context, in order, like a function call.
SAME_SCRIPT_TALLY = """
function bump(context) {
  const before = sharedStorage.getItem("n") || "0";
  const stats = dispatcher.sendMessage("tally.bump", "{}");
  const after = sharedStorage.getItem("n");
  sharedStorage.setItem("n", String(parseInt(after) + 100));
  return before + " -> " + after + " -> " + sharedStorage.getItem("n") + "; " + stats;
}
function onBump(context) {
  const n = parseInt(sharedStorage.getItem("n") || "0");
  sharedStorage.setItem("n", String(n + 1));
  seenByListener = context.messageType;
}
var seenByListener = null;
function seen(context) { return String(seenByListener); }
routeRegistry.registerRoute("/tally", "bump", "POST");
dispatcher.registerListener("tally.bump", "onBump");
"""


def test_a_listener_of_the_senders_script_runs_inside_the_senders_invocation(
    cast, upload, api, records
):
    put(upload, "tally", SAME_SCRIPT_TALLY)

    reply = post(api, "/tally")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "0 -> 1 -> 101; Message 'tally.bump' delivered to 1 listener: "
        "1 succeeded, 0 failed"
    )
    assert shared(cast["acme"], "tally", "n") == "101"
    records()
    assert listener_runs("tally").count() == 0


QUIET = """
async function bump(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0");
  const result = await dispatcher.sendMessage("nobody.listens", "{}");
  sharedStorage.setItem("n", String(n + 1));
  return result;
}
routeRegistry.registerRoute("/quiet", "bump", "POST");
"""


def test_a_send_that_reached_nobody_leaves_the_sender_repeatable(
    cast, upload, api, monkeypatch
):
    from streams_app import ops

    put(upload, "quiet", QUIET)
    marks = []
    real = ops.script_ops

    def spying(invocation):
        send = real(invocation)["dispatch.send"]

        async def spied(*args):
            result = await send(*args)
            marks.append(invocation.irreversible)
            return result

        return {"dispatch.send": spied}

    monkeypatch.setattr(ops, "script_ops", spying)
    reply = post(api, "/quiet")

    assert reply.content.decode() == "No listeners for message type 'nobody.listens'"
    assert marks == [False]

    put(
        upload,
        "listens",
        'function on(c) {}\ndispatcher.registerListener("nobody.listens", "on");',
    )
    reply = post(api, "/quiet")

    assert reply.content.decode().startswith("Message 'nobody.listens' delivered")
    assert marks == [False, True]


# A plain sender, and its own script's async listener, which goes on after an
# await: the rest runs in the sender's invocation, which waits for it (R7).
ASYNC_LOCAL = """
function send(context) {
  return dispatcher.sendMessage("later", "{}");
}
async function onLater(context) {
  sharedStorage.setItem("before", "yes");
  await null;
  sharedStorage.setItem("after", "yes");
  console.log("listener done");
  if (context.messageType === "later") throw new Error("failed late");
}
routeRegistry.registerRoute("/later", "send", "POST");
dispatcher.registerListener("later", "onLater");
"""


def test_an_async_listener_of_the_senders_script_finishes_inside_the_send(
    cast, upload, api, records
):
    put(upload, "later", ASYNC_LOCAL)

    reply = post(api, "/later")

    assert reply.status_code == 200, reply.content
    # Counted when it returned its promise; its late failure is logged.
    assert reply.content.decode() == (
        "Message 'later' delivered to 1 listener: 1 succeeded, 0 failed"
    )
    assert shared(cast["acme"], "later", "before") == "yes"
    assert shared(cast["acme"], "later", "after") == "yes"
    records()
    assert logs("later", "LOG").get().message == "listener done"
    late = logs("later", "ERROR").get().message
    assert late.startswith(
        "Listener 'onLater' for message 'later' failed: Error: failed late"
    )
