"""The dispatcher over real HTTP: a route sends a message, listeners write storage."""

import httpx
import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import poll, put_script

pytestmark = pytest.mark.server

USERS = """
async function createUser(context) {
  const name = context.request.query.name;
  const result = await dispatcher.sendMessage(
    "PREFIX.user.created", JSON.stringify({ username: name }));
  return { status: 201, body: { result: result } };
}
routeRegistry.registerRoute("/PREFIX/users", "createUser", "POST");
"""

ANALYTICS = """
async function onUserCreated(context) {
  const total = parseInt((await sharedStorage.getItem("totalUsers")) || "0") + 1;
  sharedStorage.setItem("totalUsers", String(total));
  sharedStorage.setItem("last", context.messageData.username);
  console.log("Analytics: new user " + context.messageData.username);
}
async function stats(context) {
  return {
    status: 200,
    body: {
      totalUsers: Number((await sharedStorage.getItem("totalUsers")) || "0"),
      last: await sharedStorage.getItem("last"),
    },
  };
}
function init(context) {
  dispatcher.registerListener("PREFIX.user.created", "onUserCreated");
  routeRegistry.registerRoute("/PREFIX/stats", "stats", "GET");
}
"""


def upload(server, prefix):
    for name, source in (("analytics", ANALYTICS), ("users", USERS)):
        reply = put_script(server, f"{prefix}-{name}", source.replace("PREFIX", prefix))
        assert reply.status_code == 201, reply.text


def test_a_message_sent_by_a_route_reaches_the_listener_of_another_script(server):
    upload(server, "dispatch")

    with server.client() as client:
        created = [client.post("/dispatch/users", params={"name": n}) for n in "abc"]
        stats = client.get("/dispatch/stats").json()
        logs, _ = poll(
            lambda: client.get(
                "/system/api/logs",
                params={"script": "dispatch-analytics"},
                headers=server.auth,
            ).json(),
            lambda found: found["count"] >= 3,
            within=3.0,
        )

    assert [r.status_code for r in created] == [201, 201, 201]
    assert created[0].json() == {
        "result": "Message 'dispatch.user.created' delivered to 1 listener: "
        "1 succeeded, 0 failed"
    }
    # The listener's writes were applied before the sender answered.
    assert stats == {"totalUsers": 3, "last": "c"}
    assert sorted(e["message"] for e in logs["results"]) == [
        "Analytics: new user a",
        "Analytics: new user b",
        "Analytics: new user c",
    ]


def test_a_new_listener_reaches_every_worker_process(installation):
    def send(server, name):
        # A connection of its own, so the requests spread over both workers.
        return httpx.post(f"{server.url}/workers/users", params={"name": name})

    with launch(installation, workers=2) as server:
        sender = put_script(server, "workers-users", USERS.replace("PREFIX", "workers"))
        assert sender.status_code == 201, sender.text
        before = [send(server, "early").json()["result"] for _ in range(10)]
        listener = ANALYTICS.replace("PREFIX", "workers")
        assert put_script(server, "workers-analytics", listener).status_code == 201

        # Each worker reads the new listener within SCRIPT_ROUTE_REFRESH_SECONDS:
        # soon twenty requests in a row are all delivered, whichever serves them.
        sent = []

        def twenty():
            replies = [send(server, str(i)).json()["result"] for i in range(20)]
            sent.extend(replies)
            return replies

        replies, _ = poll(
            twenty, lambda rs: all("delivered to 1 listener" in r for r in rs), 10.0
        )
        with server.client() as client:
            stats = client.get("/workers/stats").json()

    assert set(before) == {"No listeners for message type 'workers.user.created'"}
    assert set(replies) == {
        "Message 'workers.user.created' delivered to 1 listener: 1 succeeded, 0 failed"
    }
    # Every delivered message was counted once, in whichever process it ran.
    assert stats["totalUsers"] == sum("delivered" in r for r in sent)


def test_the_users_example_tells_the_analytics_example(server):
    # examples/users.js and examples/analytics.js, loaded by the bootstrap.
    with server.client() as client:
        before = client.get("/analytics").json()["totalUsers"]
        created = client.post("/users", data={"username": "ada", "email": "a@b.c"})
        after = client.get("/analytics").json()
        user = client.get(f"/users/{created.json()['userId']}").json()

    assert created.status_code == 201, created.text
    assert created.json()["dispatch"] == (
        "Message 'user.created' delivered to 1 listener: 1 succeeded, 0 failed"
    )
    assert after == {"totalUsers": before + 1, "lastUser": "ada"}
    assert user == {"username": "ada", "email": "a@b.c"}


# Registers its listener from a handler, not in init() (issue 13).
LATE_ANALYTICS = ANALYTICS.replace(
    'function init(context) {\n  dispatcher.registerListener("PREFIX.user.created", '
    '"onUserCreated");',
    "function subscribe(context) {\n  return dispatcher.registerListener("
    '"PREFIX.user.created", "onUserCreated");\n}\n'
    "function init(context) {\n"
    '  routeRegistry.registerRoute("/PREFIX/subscribe", "subscribe", "POST");',
)


def test_a_listener_registered_by_a_handler_reaches_every_worker(installation):
    assert "subscribe" in LATE_ANALYTICS  # the replacement above took

    def send(server, name):
        return httpx.post(f"{server.url}/late/users", params={"name": name})

    with launch(installation, workers=2) as server:
        for name, source in (("analytics", LATE_ANALYTICS), ("users", USERS)):
            reply = put_script(server, f"late-{name}", source.replace("PREFIX", "late"))
            assert reply.status_code == 201, reply.text
        before = send(server, "early").json()["result"]
        said = httpx.post(f"{server.url}/late/subscribe")

        replies, _ = poll(
            lambda: [send(server, str(i)).json()["result"] for i in range(20)],
            lambda rs: all("delivered to 1 listener" in r for r in rs),
            10.0,
        )
        with server.client() as client:
            stats = client.get("/late/stats").json()

    assert before == "No listeners for message type 'late.user.created'"
    assert said.text == "Listener registered: late.user.created -> onUserCreated"
    assert set(replies) == {
        "Message 'late.user.created' delivered to 1 listener: 1 succeeded, 0 failed"
    }
    assert stats["totalUsers"] >= 20
