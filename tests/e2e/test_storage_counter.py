"""Storage over real HTTP: a visit counter under load, atomic failures, two users."""

import asyncio

import httpx
import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

COUNTER = """
async function visit(context) {
  const count = parseInt((await sharedStorage.getItem("visits")) || "0") + 1;
  sharedStorage.setItem("visits", count.toString());
  return { status: 200, body: { count: count } };
}
async function visits(context) {
  return { status: 200, body: { count: await sharedStorage.getItem("visits") } };
}
function writeThenThrow(context) {
  sharedStorage.setItem("visits", "-1");
  throw new Error("no, after all");
}
async function getTheme(context) {
  return { status: 200, body: { theme: await personalStorage.getItem("theme") } };
}
function setTheme(context) {
  return personalStorage.setItem("theme", context.request.query.theme);
}
routeRegistry.registerRoute("/PREFIX/visit", "visit", "POST");
routeRegistry.registerRoute("/PREFIX/visits", "visits", "GET");
routeRegistry.registerRoute("/PREFIX/broken", "writeThenThrow", "POST");
routeRegistry.registerRoute("/PREFIX/theme", "getTheme", "GET");
routeRegistry.registerRoute("/PREFIX/theme", "setTheme", "POST");
"""

USERS = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
for name in ("visitor-one", "visitor-two"):
    user = get_user_model().objects.create_user(name, name + "@example.com", "pw")
    print(name, Token.objects.create(user=user).key)
"""


def upload_counter(server, prefix):
    source = COUNTER.replace("PREFIX", prefix)
    uploaded = put_script(server, f"{prefix}-counter", source)
    assert uploaded.status_code == 201, uploaded.text


async def visit_concurrently(url: str, path: str, times: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=times)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        return await asyncio.gather(*(client.post(path) for _ in range(times)))


def assert_counts_every_visit(server, prefix, times=50):
    replies = asyncio.run(visit_concurrently(server.url, f"/{prefix}/visit", times))

    assert [r.status_code for r in replies] == [200] * times, [
        r.text for r in replies if r.status_code != 200
    ][:3]
    assert sorted(r.json()["count"] for r in replies) == list(range(1, times + 1))
    with server.client() as client:
        assert client.get(f"/{prefix}/visits").json() == {"count": str(times)}


def test_fifty_concurrent_visits_are_all_counted(server):
    upload_counter(server, "one-process")

    assert_counts_every_visit(server, "one-process")


def test_fifty_concurrent_visits_across_two_worker_processes(installation):
    # Two processes run the script side by side, so conflicts are real here.
    with launch(installation, workers=2) as server:
        upload_counter(server, "workers")

        assert_counts_every_visit(server, "workers")


def test_a_script_that_writes_then_throws_leaves_nothing_written(server):
    upload_counter(server, "broken")

    with server.client() as client:
        client.post("/broken/visit")
        failed = client.post("/broken/broken")
        after = client.get("/broken/visits").json()

    assert failed.status_code == 500
    assert "no, after all" in failed.json()["error"]["message"]
    assert after == {"count": "1"}


def test_personal_storage_of_two_users_stays_apart(server, installation):
    upload_counter(server, "personal")
    printed = installation.manage("shell", "-c", USERS).splitlines()
    tokens = dict(line.split() for line in printed if line.startswith("visitor-"))
    one = {"Authorization": f"Token {tokens['visitor-one']}"}
    two = {"Authorization": f"Token {tokens['visitor-two']}"}

    with server.client() as client:
        client.post("/personal/theme?theme=dark", headers=one)
        client.post("/personal/theme?theme=light", headers=two)
        anonymous = client.post("/personal/theme?theme=pink")
        themes = [
            client.get("/personal/theme", headers=h).json()["theme"]
            for h in (one, two, {})
        ]

    assert themes == ["dark", "light", None]
    assert anonymous.text == (
        "Error: Personal storage requires authentication. Please log in."
    )
