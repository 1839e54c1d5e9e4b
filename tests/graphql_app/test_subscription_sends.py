"""sendSubscriptionMessage(Filtered) in a script, and what a subscription resolver returns."""

import pytest

from graphql_app.subscriptions import Subscribing
from tests.streams_app.streaming import logs

SENDER = """
function onTicks() { return null; }
graphQLRegistry.registerSubscription(
  "ticks", "type Subscription { ticks(room: String): Int }", "onTicks", "external");

function send(c) {
  const q = c.request.query;
  const data = q.big ? "x".repeat(70000) : JSON.stringify(Number(q.n || 0));
  const said = q.filter !== undefined
    ? graphQLRegistry.sendSubscriptionMessageFiltered(q.to || "ticks", data, q.filter)
    : graphQLRegistry.sendSubscriptionMessage(q.to || "ticks", data);
  if (q.fail) throw new Error("changed my mind");
  return said;
}
routeRegistry.registerRoute("/ticks/send", "send", "POST");
"""


@pytest.fixture
def sender(cast, upload):
    reply = upload("ticks", SENDER)
    assert reply.status_code in (200, 201), reply.content
    return cast


def post(api, query):
    return api(host="acme.test").post(f"/ticks/send?{query}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("n=1", "Message queued for subscription ticks (sent when the handler "),
        ("n=1&filter=%7B%22room%22%3A%22a%22%7D", "Message queued for subscription"),
        ("n=1&to=not-a-name", "Error: sendSubscriptionMessage: the subscription name"),
        (
            "n=1&filter=%5B1%5D",
            "Error: sendSubscriptionMessageFiltered: filterJson must",
        ),
        (
            "n=1&filter=nope",
            "Error: sendSubscriptionMessageFiltered: filterJson is not",
        ),
        (
            "n=1&filter=%7B%22a%22%3A%7B%7D%7D",
            "Error: sendSubscriptionMessageFiltered: filter values must be",
        ),
    ],
)
def test_a_send_answers_what_happened(sender, api, query, answer):
    reply = post(api, query)

    assert reply.status_code == 200, reply.content
    assert reply.content.decode().startswith(answer)


@pytest.mark.django_db
def test_a_message_over_the_size_limit_fails_the_invocation(sender, api):
    reply = post(api, "big=1")

    assert reply.status_code == 500
    assert "SCRIPT_STREAM_MAX_MESSAGE_BYTES" in reply.content.decode()


@pytest.mark.django_db
def test_a_message_to_no_subscription_is_logged(sender, api, records):
    assert post(api, "n=1&to=nobody").status_code == 200

    records()
    [warning] = logs("ticks", "WARN")
    assert "nobody, which is not a subscription of this tenant" in warning.message


@pytest.mark.parametrize(
    ("value", "args", "first", "metadata"),
    [
        ({"type": "started"}, {}, {"type": "started"}, {}),
        (None, {"room": "a"}, None, {"room": "a"}),
        ('{"n": 1}', {}, '{"n": 1}', {}),
        (
            {"data": {"n": 1}, "metadata": {"room": 7}},
            {"room": "a"},
            {"n": 1},
            {"room": "7"},
        ),
        ({"metadata": {"admin": True}}, {}, None, {"admin": "true"}),
        ('{"data": 2, "metadata": null}', {"n": 3}, 2, {"n": "3"}),
        # Without a metadata key it is a message that happens to have `data`.
        ({"data": 1}, {}, {"data": 1}, {}),
    ],
)
def test_a_resolver_returns_the_first_message_and_maybe_metadata(
    value, args, first, metadata
):
    root = Subscribing()

    assert root.accept(value, args) == first
    assert root.metadata == metadata
    assert root.has_first is (first is not None)
