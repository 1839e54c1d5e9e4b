"""Listeners take a slot of their tenant's cap; refused ones count as failed (R9)."""

import pytest

from tests.streams_app.dispatching import listener_runs, logs, put, shared

SENDER = """
async function send(context) {
  return await dispatcher.sendMessage("user.created", JSON.stringify({ n: 1 }));
}
routeRegistry.registerRoute("/send", "send", "POST");
"""

LISTENER = """
function onUserCreated(context) {
  sharedStorage.setItem("heard", "yes");
}
dispatcher.registerListener("user.created", "onUserCreated");
"""


@pytest.fixture
def scripts(cast, upload):
    put(upload, "sender", SENDER)
    put(upload, "audit", LISTENER)
    return cast


def cap(settings, n):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": n}


def test_a_listener_runs_in_a_slot_of_its_own(scripts, api, settings, records):
    cap(settings, 2)  # the sender's and the listener's

    reply = api().post("/send")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "Message 'user.created' delivered to 1 listener: 1 succeeded, 0 failed"
    )
    assert shared(scripts["acme"], "audit", "heard") == "yes"


def test_a_listener_past_the_cap_is_not_run_and_the_senders_log_says_why(
    scripts, api, settings, records
):
    cap(settings, 1)  # the sender holds the only slot

    reply = api().post("/send")

    assert reply.status_code == 200, reply.content
    assert reply.content.decode() == (
        "Message 'user.created' delivered to 1 listener: 0 succeeded, 1 failed"
    )
    assert shared(scripts["acme"], "audit", "heard") is None
    records()
    assert not listener_runs("audit").exists()
    [entry] = logs("sender", "ERROR")
    assert entry.message == (
        "Listener audit.onUserCreated of message 'user.created' was not run: "
        "Too many script invocations at once: this tenant already runs 1, and its "
        "limit is 1 (SCRIPT_MAX_CONCURRENT_PER_TENANT); nothing was run. Try "
        "again in 1 s."
    )
