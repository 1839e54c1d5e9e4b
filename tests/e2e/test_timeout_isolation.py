"""A script stuck in a loop is stopped at its limit while others keep answering (R8)."""

import asyncio
import time

import httpx
import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import ROOT, put_script

pytestmark = pytest.mark.server

LIMIT_SECONDS = 2
SPIN = """
function spin(context) {
  while (true) {}
}
routeRegistry.registerRoute("/spin", "spin", "GET");
"""


@pytest.fixture(scope="module")
def strict_server(installation):
    with launch(installation, SCRIPT_TIMEOUT_SECONDS=LIMIT_SECONDS) as running:
        assert put_script(running, "spin", SPIN).status_code in (200, 201)
        hello = (ROOT / "examples" / "hello.js").read_text()
        assert put_script(running, "hello", hello).status_code in (200, 201)
        yield running


async def test_infinite_loop_answers_504_within_its_limit(strict_server):
    async with httpx.AsyncClient(base_url=strict_server.url, timeout=30) as client:
        started = time.monotonic()
        reply = await client.get("/spin")
        elapsed = time.monotonic() - started

    assert reply.status_code == 504
    error = reply.json()["error"]
    assert error["code"] == "script_timeout"
    assert error["requestId"] == reply.headers["x-request-id"]
    assert f"{LIMIT_SECONDS} s" in error["message"]
    assert elapsed < LIMIT_SECONDS + 2, f"took {elapsed:.2f} s"


async def test_other_scripts_answer_quickly_while_a_loop_runs(strict_server):
    async with httpx.AsyncClient(base_url=strict_server.url, timeout=30) as client:
        spinning = asyncio.create_task(client.get("/spin"))
        await asyncio.sleep(0.3)  # let the loop start on the server

        async def hello(n):
            started = time.monotonic()
            reply = await client.get("/hello", params={"name": f"N{n}"})
            return reply, time.monotonic() - started

        answers = await asyncio.gather(*(hello(n) for n in range(6)))
        loop_still_running = not spinning.done()
        spin_reply = await spinning

    for n, (reply, seconds) in enumerate(answers):
        assert reply.status_code == 200
        assert reply.text == f"Hello, N{n}!"
        assert seconds < 1.0, f"/hello took {seconds:.2f} s during the loop"
    assert loop_still_running, "the loop ended before the other calls were answered"
    assert spin_reply.status_code == 504
