"""The aiwebengine seed's stream and subscription blocks, verbatim, over real HTTP.

Streams and GraphQL subscriptions are Server-Sent Events: these tests upload
the fixtures (fixtures/aiwebengine/) to a real ASGI server
(tests/e2e/servers.py) on a fresh installation of their own, in a tenant of
their own (bootstrap loads examples that hold /chat and /users), read the
streams with tests/e2e/sse.py's client and check what the seed says arrives
and what the calls answer. Where the seed leaves out what a block needs (a
subscription it sends to, a route), that is added after the block, and said.
Each test deletes its scripts at the end: the seed's blocks reuse paths
(/chat, /notifications) in different scripts.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx
import pytest

from tests.conformance.seeds import fixture
from tests.e2e.conftest import installation, launch  # noqa: F401 - fixtures
from tests.e2e.servers import poll
from tests.e2e.sse import SSE

pytestmark = pytest.mark.server
conforms = pytest.mark.conforms


SLUG = "conformance"
MAKE_TENANT = (
    "from tenants.models import Tenant\n"
    f"Tenant.objects.get_or_create(slug='{SLUG}', defaults={{'name': '{SLUG}'}})\n"
)


@dataclass
class Site:
    """A tenant of its own on the server (bootstrap's examples hold /chat, /users)."""

    server: object

    @property
    def url(self) -> str:
        return f"{self.server.url}/t/{SLUG}"

    @property
    def auth(self) -> dict:
        return self.server.auth

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)


@pytest.fixture(scope="module")
def site(installation):  # noqa: F811 - the imported fixture
    """The tenant, on a server sending keep-alives every half second."""
    installation.manage("shell", "-c", MAKE_TENANT)
    with launch(installation, SCRIPT_STREAM_KEEPALIVE_SECONDS=0.5) as running:
        yield Site(running)


@contextmanager
def scripts(site, **sources):
    """Upload conformance-<name> scripts as the admin; delete them afterwards."""
    try:
        with site.client(headers=site.auth) as client:
            for name, text in sources.items():
                reply = client.put(
                    f"/system/scripts/conformance-{name}",
                    content=text.encode(),
                    headers={"Content-Type": "application/javascript"},
                )
                assert reply.status_code in (200, 201), reply.text
                assert not reply.json().get("warnings"), reply.text
        yield
    finally:
        with site.client(headers=site.auth) as client:
            for name in sources:
                client.delete(f"/system/scripts/conformance-{name}")


def when(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


# -- Streams -------------------------------------------------------------------------


@conforms(
    "routeRegistry.registerStreamRoute(path)",
    "routeRegistry.sendStreamMessage(path, data)",
)
def test_register_stream_route_and_notify(site):
    # The registerStreamRoute block, and sendStreamMessage's notifyHandler
    # (which sends to the /notifications stream the first one registers).
    text = fixture("aiwebengine", "stream_routes") + fixture(
        "aiwebengine", "send_stream_notify"
    )
    with (
        scripts(site, notify=text),
        SSE(f"{site.url}/notifications") as notifications,
        SSE(f"{site.url}/chat/room1") as room1,
        SSE(f"{site.url}/chat/room2") as unregistered,
    ):
        notifications.wait_connected()
        room1.wait_connected()
        unregistered.wait_ended()
        with site.client() as client:
            sent = client.post("/notify")
        event = notifications.next()

    assert (sent.status_code, sent.text) == (200, "Notification sent")
    for reader in (notifications, room1):
        assert reader.status == 200
        assert reader.response_headers["content-type"] == "text/event-stream"
    assert unregistered.status == 404
    message = json.loads(event.data)
    assert {k: message[k] for k in ("type", "message", "priority")} == {
        "type": "notification",
        "message": "New update available",
        "priority": "high",
    }
    assert when(message["timestamp"])


@conforms(
    "routeRegistry.registerStreamRoute(path)",
    "routeRegistry.sendStreamMessage(path, data)",
)
def test_real_time_chat_example(site):
    with (
        scripts(site, chat=fixture("aiwebengine", "send_stream_chat")),
        SSE(f"{site.url}/chat") as ann,
        SSE(f"{site.url}/chat") as bob,
    ):
        ann.wait_connected()
        bob.wait_connected()
        with site.client() as client:
            refused = client.post("/chat/send", data={"user": "ann"})
            sent = client.post("/chat/send", data={"user": "ann", "message": "hi!"})
        got = [ann.next(), bob.next()]

    assert (refused.status_code, refused.text) == (400, "Missing user or message")
    assert (sent.status_code, sent.text) == (200, "Message sent")
    assert got[0].data == got[1].data
    message = json.loads(got[0].data)
    assert {k: message[k] for k in ("type", "user", "message")} == {
        "type": "chat_message",
        "user": "ann",
        "message": "hi!",
    }
    assert when(message["timestamp"])


# The sendStreamMessageFiltered block sends, so it runs in a handler (a
# script's top level runs at upload, when nothing may be sent). There a
# `routeRegistry` stands for the real one and keeps what each of the block's
# calls returned, which the handler answers: the seed's "broadcast result
# with success/failure counts".
FILTERED = """
function filteredExample(context) {
  const returned = [];
  const routeRegistry = {
    sendStreamMessageFiltered(path, data, filterJson) {
      const result = globalThis.routeRegistry.sendStreamMessageFiltered(path, data, filterJson);
      returned.push(result);
      return result;
    },
  };
%s
  return ResponseBuilder.json(returned);
}
routeRegistry.registerRoute("/filtered-example", "filteredExample", "POST");
"""


@conforms("routeRegistry.sendStreamMessageFiltered(path, data, filterJson)")
def test_send_stream_message_filtered(site):
    # /chat and /notifications come from the seed's chat and stream blocks.
    url = site.url
    with (
        scripts(
            site,
            chat=fixture("aiwebengine", "send_stream_chat"),
            notify=fixture("aiwebengine", "stream_routes")
            + fixture("aiwebengine", "send_stream_notify"),
            filtered=FILTERED % fixture("aiwebengine", "send_stream_filtered"),
        ),
        SSE(f"{url}/chat?room=general") as general,
        SSE(f"{url}/chat?room=lobby") as lobby,
        SSE(f"{url}/notifications?user_id=user123") as user123,
        SSE(f"{url}/notifications?user_id=user456") as user456,
    ):
        for reader in (general, lobby, user123, user456):
            reader.wait_connected()
        with site.client() as client:
            ran = client.post("/filtered-example")
            # Then one message to everyone on each stream: each reader's next
            # event shows whether the filtered one reached it first.
            client.post("/chat/send", data={"user": "ann", "message": "to all"})
            client.post("/notify")
        got = {
            "general": [json.loads(general.next().data) for _ in range(2)],
            "lobby": [json.loads(lobby.next().data)],
            "user123": [json.loads(user123.next().data) for _ in range(2)],
            "user456": [json.loads(user456.next().data)],
        }

    assert ran.status_code == 200, ran.text
    assert ran.json() == [
        "Successfully sent filtered message to 1 connections on path '/chat'",
        "Successfully sent filtered message to 1 connections on path '/notifications'",
    ]
    types = {who: [m["type"] for m in messages] for who, messages in got.items()}
    assert types == {
        "general": ["room_message", "chat_message"],
        "lobby": ["chat_message"],
        "user123": ["personal", "notification"],
        "user456": ["notification"],
    }
    assert got["general"][0]["message"] == "Hello room!"
    assert got["user123"][0] == {
        "type": "personal",
        "message": "You have a new message",
    }


@conforms(
    "dispatcher.registerListener(messageType, handlerName)",
    "dispatcher.sendMessage(messageType, messageData)",
    "routeRegistry.registerStreamRoute(path)",
    "routeRegistry.sendStreamMessage(path, data)",
)
def test_user_activity_system(site):
    # The dispatcher's complete example: three scripts, as the seed has them.
    with (
        scripts(
            site,
            **{
                "user-service": fixture("aiwebengine", "dispatcher_user_service"),
                "analytics": fixture("aiwebengine", "dispatcher_analytics"),
                "notifications": fixture("aiwebengine", "dispatcher_notifications"),
            },
        ),
        SSE(f"{site.url}/notifications") as reader,
    ):
        reader.wait_connected()
        with site.client() as client:
            created = [
                client.post("/users", data={"username": n, "email": f"{n}@x.test"})
                for n in ("ann", "ben")
            ]
        welcomes = [json.loads(reader.next().data) for _ in range(2)]
        with site.client(headers=site.auth) as client:
            logs, _ = poll(
                lambda: client.get(
                    "/system/api/logs", params={"script": "conformance-analytics"}
                ).json(),
                lambda found: found["count"] >= 2,
                within=5.0,
            )

    assert [(r.status_code, r.json()) for r in created] == [
        (201, {"success": True, "userId": "1"}),
        (201, {"success": True, "userId": "2"}),
    ]
    assert [{k: w[k] for k in ("type", "userId", "message")} for w in welcomes] == [
        {"type": "welcome", "userId": "1", "message": "Welcome ann!"},
        {"type": "welcome", "userId": "2", "message": "Welcome ben!"},
    ]
    said = sorted(e["message"].split(" created at ")[0] for e in logs["results"])
    assert said == ["Analytics: New user ann", "Analytics: New user ben"]


# -- GraphQL subscriptions -------------------------------------------------------------

# broadcastAdminMessage sends to an adminNotifications subscription that the
# seed leaves out: this one, whose `role` argument is each subscriber's
# metadata (graphql_app.subscriptions), and a route sending to everyone.
ADMIN_NOTIFICATIONS = """
function onAdminNotifications(context) {
  return null;
}
graphQLRegistry.registerSubscription(
  "adminNotifications",
  `type AdminNotification { type: String! message: String! }
  type Subscription { adminNotifications(role: String!): AdminNotification! }`,
  "onAdminNotifications",
  "external",
);
function toEveryone(context) {
  return graphQLRegistry.sendSubscriptionMessage(
    "adminNotifications", JSON.stringify({ type: "everyone", message: "hello all" }));
}
routeRegistry.registerRoute("/everyone", "toEveryone", "POST");
"""


def subscribe(site, query: str, variables: dict | None = None) -> SSE:
    params = {"query": query}
    if variables:
        params["variables"] = json.dumps(variables)
    return SSE(f"{site.url}/graphql/sse?{urlencode(params)}", headers=site.auth)


@conforms(
    "graphQLRegistry.registerSubscription(name, sdl, resolverFunction, visibility)",
    "graphQLRegistry.sendSubscriptionMessage(subscriptionName, data)",
)
def test_subscription_and_send_subscription_message(site):
    text = fixture("aiwebengine", "graphql_subscription") + fixture(
        "aiwebengine", "graphql_send"
    )
    # The seed's message has no `message` (a non-null field), so the
    # subscriber selects the fields the message has.
    query = "subscription { userActivity { type userId timestamp } }"
    with (
        scripts(site, activity=text),
        subscribe(site, query) as activity,
        subscribe(site, "subscription { userActivity { type message } }") as started,
    ):
        activity.wait_connected()
        started.wait_connected()
        first = activity.next()
        opened = started.next()
        with site.client() as client:
            logged = client.post(
                "/log-action", data={"userId": "u1", "action": "login"}
            )
        second = activity.next()

    assert activity.status == 200
    assert (first.event, json.loads(first.data)["data"]["userActivity"]["type"]) == (
        "next",
        "subscription_started",
    )
    assert json.loads(opened.data) == {
        "data": {
            "userActivity": {
                "type": "subscription_started",
                "message": "User activity monitoring started",
            }
        }
    }
    assert (logged.status_code, logged.text) == (200, "Action logged")
    event = json.loads(second.data)["data"]["userActivity"]
    assert (event["type"], event["userId"]) == ("user_action", "u1")
    assert when(event["timestamp"])


@conforms(
    "graphQLRegistry.sendSubscriptionMessageFiltered(subscriptionName, data, filterJson)"
)
def test_send_subscription_message_filtered(site):
    text = fixture("aiwebengine", "graphql_send_filtered") + ADMIN_NOTIFICATIONS
    query = (
        "subscription N($role: String!) "
        "{ adminNotifications(role: $role) { type message } }"
    )
    with (
        scripts(site, admin=text),
        subscribe(site, query, {"role": "admin"}) as admin,
        subscribe(site, query, {"role": "user"}) as user,
    ):
        admin.wait_connected()
        user.wait_connected()
        with site.client() as client:
            sent = client.post("/admin/broadcast", data={"message": "maintenance"})
            client.post("/everyone")
        got_admin = [json.loads(admin.next().data) for _ in range(2)]
        got_user = [json.loads(user.next().data)]

    def of(result):
        return result["data"]["adminNotifications"]

    assert (sent.status_code, sent.text) == (200, "Admin notification sent")
    assert [of(r) for r in got_admin] == [
        {"type": "admin_notification", "message": "maintenance"},
        {"type": "everyone", "message": "hello all"},
    ]
    assert [of(r) for r in got_user] == [{"type": "everyone", "message": "hello all"}]
