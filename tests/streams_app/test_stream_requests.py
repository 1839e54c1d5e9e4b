"""Requests on a stream path that answer at once: refusals, errors, HEAD, 405, 503.

Open streams are read over a real server in tests/e2e/test_streams.py; httpx's
ASGI transport here waits for a whole response, which these all are.
"""

import gc

import pytest

from scripts_app.models import Execution
from tests.streams_app.streaming import asgi_client, forget_streams, logs, put

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_streams():
    forget_streams()
    yield
    forget_streams()
    # Django serves each ASGI request's sync work in a thread of its own; a
    # database connection opened there (kept: CONN_MAX_AGE) outlives the thread
    # until collected, and PostgreSQL will not drop a test database in use.
    gc.collect()


GATE = """
function gate(context) {
  const q = context.request.query;
  if (q.mode === "null") return null;
  if (q.mode === "false") return false;
  if (q.mode === "throw") throw new Error("no entry for " + q.who);
  if (q.mode === "string") return "room-a";
  if (q.mode === "array") return ["a"];
  if (q.mode === "loop") { while (true) {} }
  if (q.mode === "members") {
    return context.request.auth.isAuthenticated
      ? { user: context.request.auth.userName } : null;
  }
  return { room: q.room || "lobby" };
}
function post(c) { return "posted"; }
function item(c) { return "item " + c.request.params.id; }
routeRegistry.registerStreamRoute("/gated", "gate");
routeRegistry.registerStreamRoute("/open");
routeRegistry.registerRoute("/open", "post", "POST");
routeRegistry.registerRoute("/items/:id", "item", "GET");
routeRegistry.registerStreamRoute("/items/live");
"""


@pytest.fixture
def gate(cast, upload):
    put(upload, "gate", GATE)
    return cast


@pytest.mark.parametrize("mode", ["null", "false"])
async def test_a_customizer_returning_nothing_refuses_the_connection(gate, mode):
    async with asgi_client() as client:
        reply = await client.get(f"/gated?mode={mode}")

    assert reply.status_code == 403
    error = reply.json()["error"]
    assert error["code"] == "stream_refused"
    assert error["message"] == "The stream /gated refused this connection."
    assert error["requestId"] == reply.headers["X-Request-Id"]


async def test_a_customizer_that_throws_is_a_500_with_an_execution_record(
    gate, records
):
    async with asgi_client() as client:
        reply = await client.get("/gated?mode=throw&who=zed")

    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "script_runtime_error"
    assert "no entry for zed" in error["message"]
    assert "gate.js:6" in error["message"]
    await _flush(records)
    run = await Execution.objects.aget(script_name="gate")
    assert (run.kind, run.handler, run.status) == ("stream", "gate", "error")
    assert run.trigger == "GET /gated"


@pytest.mark.parametrize(
    ("mode", "kind"), [("string", "a string"), ("array", "an array")]
)
async def test_a_customizer_returning_no_object_is_a_500_saying_what_to_return(
    gate, records, mode, kind
):
    async with asgi_client() as client:
        reply = await client.get(f"/gated?mode={mode}")

    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "script_bad_response"
    assert error["message"].startswith(f"Stream customizer 'gate' returned {kind};")
    assert "return an object of metadata" in error["message"]
    await _flush(records)
    [logged] = await _logs("gate", "ERROR")
    assert logged.message == error["message"]


async def test_a_customizer_past_its_time_limit_is_a_504(gate, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {"http": (0.3, 20)}}

    async with asgi_client() as client:
        reply = await client.get("/gated?mode=loop")

    assert reply.status_code == 504
    assert reply.json()["error"]["code"] == "script_timeout"


async def test_the_customizer_sees_who_connects(gate, cast):
    token = {"Authorization": f"Token {cast['tokens']['bob']}"}
    async with asgi_client() as anonymous, asgi_client(headers=token) as bob:
        refused = await anonymous.head("/gated?mode=members")
        allowed = await bob.head("/gated?mode=members")

    assert refused.status_code == 403
    assert allowed.status_code == 200


async def test_head_answers_the_stream_headers_without_a_body(gate):
    async with asgi_client() as client:
        reply = await client.head("/open")

    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/event-stream"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert reply.headers["X-Accel-Buffering"] == "no"
    assert reply.content == b""


async def test_other_methods_go_to_a_route_or_get_405(gate):
    async with asgi_client() as client:
        posted = await client.post("/open")
        deleted = await client.delete("/open")
        put_on_gated = await client.put("/gated")

    assert posted.status_code == 200
    assert posted.text == "posted"
    assert deleted.status_code == 405
    assert deleted.headers["Allow"] == "GET, HEAD, POST"
    assert deleted.json()["error"]["code"] == "method_not_allowed"
    assert put_on_gated.headers["Allow"] == "GET, HEAD"


async def test_a_stream_path_beats_a_param_route_on_the_fast_path(gate):
    async with asgi_client() as client:
        stream = await client.head("/items/live")
        item = await client.get("/items/7")

    assert stream.headers["Content-Type"] == "text/event-stream"
    assert item.text == "item 7"


async def test_a_full_server_answers_503(gate, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "STREAM_MAX_CONNECTIONS": 0}

    async with asgi_client() as client:
        reply = await client.get("/open")

    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.json()["error"]["code"] == "too_many_streams"


async def test_a_stream_of_another_tenant_is_not_found(gate):
    async with asgi_client(host="globex.test") as client:
        reply = await client.get("/open")

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


async def _flush(records):
    from asgiref.sync import sync_to_async

    await sync_to_async(records)()


async def _logs(script, level):
    from asgiref.sync import sync_to_async

    return await sync_to_async(logs)(script, level)
