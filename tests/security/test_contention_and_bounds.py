"""A hot storage key serialises instead of failing; a script's registrations are bounded.

Hole 7 of issue 12: at 50-way contention on one key some increments failed
with 500 after their optimistic re-runs ran out, with a message blaming
something irreversible that never happened. Uploads could register any
number of routes and registrations.
"""

import asyncio

import httpx
import pytest

from tests.e2e.conftest import installation, launch, server  # noqa: F401 - fixtures
from tests.e2e.servers import put_script

INCREMENTS = 500
CONCURRENCY = 50

COUNTER = """
async function bump(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0") + 1;
  sharedStorage.setItem("n", String(n));
  return { status: 200, body: { n: n } };
}
async function total(context) {
  return { status: 200, body: { n: await sharedStorage.getItem("n") } };
}
routeRegistry.registerRoute("/PREFIX/bump", "bump", "POST");
routeRegistry.registerRoute("/PREFIX/total", "total", "GET");
"""


async def bump_concurrently(url: str, path: str) -> list[httpx.Response]:
    """INCREMENTS POSTs, CONCURRENCY of them in flight at any moment."""
    limits = httpx.Limits(max_connections=CONCURRENCY)
    each = INCREMENTS // CONCURRENCY
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:

        async def caller():
            return [await client.post(path) for _ in range(each)]

        batches = await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return [reply for batch in batches for reply in batch]


def assert_every_increment_counted(server, prefix):  # noqa: F811 - fixture name
    uploaded = put_script(server, f"{prefix}-hot", COUNTER.replace("PREFIX", prefix))
    assert uploaded.status_code == 201, uploaded.text

    replies = asyncio.run(bump_concurrently(server.url, f"/{prefix}/bump"))

    failed = [r for r in replies if r.status_code != 200]
    assert not failed, (len(failed), failed[0].status_code, failed[0].text)
    assert sorted(r.json()["n"] for r in replies) == list(range(1, INCREMENTS + 1))
    with server.client() as client:
        assert client.get(f"/{prefix}/total").json() == {"n": str(INCREMENTS)}


@pytest.mark.server
def test_500_increments_of_one_key_at_50_way_all_count_in_one_process(
    server,  # noqa: F811 - fixture
):
    assert_every_increment_counted(server, "hot-one")


@pytest.mark.server
def test_500_increments_of_one_key_at_50_way_all_count_across_two_processes(
    installation,  # noqa: F811 - fixture
):
    with launch(installation, workers=2) as running:
        assert_every_increment_counted(running, "hot-two")
