"""Concurrent slow calls past the tenant's cap, over real HTTP: 200 or an at-once 429.

The slow handler waits in a fetch to a server of this test, which answers
only when the test says so. So the admitted calls are still running while
the refused ones are answered: those cannot have queued behind them. With
REDIS_URL, two server processes share one cap.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.conftest import require_service
from tests.e2e.conftest import launch
from tests.e2e.servers import poll, put_script
from tests.test_stack import redis_reachable, scaled_layer

pytestmark = pytest.mark.server

CAP = 3
REFUSED = 9
# Longer than any test should take: a wait that runs out fails the test.
PATIENCE = 60.0

SLOW = """
async function slow(context) {
  await fetch("http://HOLD/hold");
  return "done";
}
function ready(context) {
  return "ready";
}
routeRegistry.registerRoute("/admission/slow", "slow", "GET");
routeRegistry.registerRoute("/admission/ready", "ready", "GET");
"""


class _Hold(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.release.wait(PATIENCE)
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"released")


@contextmanager
def hold_server():
    """A server whose answers wait until its `release` event is set."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hold)
    server.daemon_threads = True
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hold():
    with hold_server() as server:
        yield server


def settings_env(hold):
    host, port = hold.server_address[:2]
    return {
        "SCRIPT_MAX_CONCURRENT_PER_TENANT": CAP,
        "SCRIPT_FETCH_ALLOW": f"{host}:{port}",
    }


def upload(hold, server, *others):
    """Upload the slow script through `server`; wait until `others` serve it."""
    host, port = hold.server_address[:2]
    source = SLOW.replace("HOLD", f"{host}:{port}")
    assert put_script(server, "admission-slow", source).status_code in (200, 201)
    for other in others:
        reply, _waited = poll(
            lambda other=other: httpx.get(f"{other.url}/admission/ready"),
            lambda reply: reply.status_code == 200,
            within=10,
        )
        assert reply.status_code == 200, reply.text


class Calls:
    """Concurrent GETs, spread over some URLs in turn; answers kept as they come."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(32)
        self.answers: queue.Queue = queue.Queue()

    def start(self, urls: list[str], count: int) -> None:
        for i in range(count):
            self.pool.submit(self._get, urls[i % len(urls)])

    def _get(self, url):
        try:
            self.answers.put(httpx.get(url, timeout=PATIENCE))
        except httpx.HTTPError as exc:
            self.answers.put(exc)

    def next(self, count: int, why: str) -> list:
        got = []
        try:
            while len(got) < count:
                got.append(self.answers.get(timeout=PATIENCE))
        except queue.Empty:
            pytest.fail(f"{len(got)} of {count} answers came {why}: {got}")
        return got

    def close(self):
        self.pool.shutdown(wait=True)


def burst(hold, servers) -> tuple[list, list]:
    """Send CAP + REFUSED slow calls at once; return (refused, served) answers.

    The REFUSED answers must come while the admitted calls are held; only
    then are those let go.
    """
    hold.release.clear()
    calls = Calls()
    try:
        calls.start([f"{s.url}/admission/slow" for s in servers], CAP + REFUSED)
        refused = calls.next(REFUSED, "while the admitted calls were held")
        hold.release.set()
        served = calls.next(CAP, "once the admitted calls were let go")
    finally:
        hold.release.set()
        calls.close()
    return refused, served


def assert_refused_at_once(answers):
    """Every answer is a 429 with Retry-After and the platform's error shape."""
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 429, answer.text
        assert answer.headers["Retry-After"] == "1"
        error = answer.json()["error"]
        assert error["code"] == "too_many_requests"
        assert "(SCRIPT_MAX_CONCURRENT_PER_TENANT)" in error["message"]


def test_calls_past_the_cap_get_429_while_the_admitted_ones_run(installation, hold):
    with launch(installation, **settings_env(hold)) as server:
        upload(hold, server)

        refused, served = burst(hold, [server])

    assert_refused_at_once(refused)
    assert [(a.status_code, a.text) for a in served] == [(200, "done")] * CAP


@scaled_layer
def test_two_servers_share_the_cap_through_redis(installation, hold):
    # Counted per process, each server would admit CAP of the calls it gets
    # (about half of them each): fewer than REFUSED would be refused.
    require_service("Redis", redis_reachable())
    with (
        launch(installation, **settings_env(hold)) as one,
        launch(installation, **settings_env(hold)) as two,
    ):
        upload(hold, one, two)

        refused, served = burst(hold, [one, two])

    assert_refused_at_once(refused)
    assert [(a.status_code, a.text) for a in served] == [(200, "done")] * CAP
