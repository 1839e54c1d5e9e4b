"""Synchronous host calls (R6): values, errors, chunks, limits, and nothing left unsettled (R7)."""

import asyncio

import pytest

import engine.context
from engine import Engine, Host, HostError, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, make_context

# An API module as an app would provide one: `kv.get(k)` is a host call.
MODULE = """(function (g, api) {
  api.define("kv", {
    get: (k) => api.call("kv.get", [k]),
    slow: (k) => api.call("kv.slow", [k]),
    fail: () => api.call("kv.fail", []),
    echo: (v) => api.call("kv.echo", [v]),
    block: () => api.call("kv.block", []),
    missing: () => api.call("kv.missing", []),
  });
})"""

SOURCE = """
function direct(c) { return kv.get("a") + kv.get("b"); }
function slowly(c) { return kv.slow("a") + "/" + kv.get("b"); }
async function awaited(c) {
  const a = await kv.get("a");
  const [b, d] = await Promise.all([kv.get("b"), kv.get("d")]);
  return a + b + d;
}
function thenable(c) { return typeof kv.get("a").then; }
function caught(c) {
  try { kv.fail(); } catch (e) { return e.name + ": " + e.message; }
}
function uncaught(c) { kv.fail(); }
function cyclic(c) { const o = {}; o.o = o; try { kv.echo(o); } catch (e) { return e.name + ": " + e.message; } }
function plain(c) { return "plain"; }
function echo(c) { return kv.echo(c.request.body); }
function blocked(c) { kv.block(); return "never"; }
function missing(c) { try { kv.missing(); } catch (e) { return e.message; } }
function many(c) {
  let refused = 0;
  for (let i = 0; i < 8; i++) { try { kv.get("k"); } catch (e) { refused++; } }
  return refused;
}
var atLoad = null;
function init(c) { try { kv.get("x"); } catch (e) { atLoad = e.message; } }
function loaded(c) { return atLoad; }
"""


class Recorder(Host):
    def __init__(self):
        super().__init__(
            {
                "kv.get": self.get,
                "kv.slow": self.slow,
                "kv.fail": self.fail,
                "kv.echo": self.echo,
                "kv.block": self.block,
            }
        )

    def get(self, key):
        return key.upper()  # answered at once, without a task

    async def slow(self, key):
        await asyncio.sleep(0.01)
        return key.upper() * 2

    async def fail(self):
        raise HostError("the shelf is empty", "StorageError")

    def echo(self, value):
        return value

    async def block(self):
        await asyncio.Event().wait()


@pytest.fixture
async def run():
    engine = Engine(4, load_limits=LOAD_LIMITS, modules=(MODULE,))

    async def load():
        return ScriptSource(SOURCE, "host.js", {})

    async def call(handler, seconds=5, body=None):
        host = Recorder()
        outcome = await engine.invoke(
            ("host", 1),
            handler,
            make_context({"body": body}),
            Limits.of(seconds, 20),
            load,
            host,
        )
        return outcome, host

    call.engine = engine
    yield call
    engine.clear()


async def test_a_host_call_returns_its_value_directly(run):
    outcome, host = await run("direct")
    assert outcome.error is None
    assert outcome.value == "AB"
    assert host.calls == ["kv.get", "kv.get"]


async def test_an_op_that_awaits_answers_the_script_when_it_is_done(run):
    outcome, host = await run("slowly")
    assert outcome.value == "AA/B"
    assert host.calls == ["kv.slow", "kv.get"]


async def test_awaiting_a_host_call_still_works(run):
    outcome, _ = await run("awaited")
    assert outcome.value == "ABD"


async def test_a_host_call_returns_no_promise(run):
    outcome, _ = await run("thenable")
    assert outcome.value == "undefined"


async def test_host_error_is_thrown_with_its_name_and_message(run):
    outcome, _ = await run("caught")
    assert outcome.value == "StorageError: the shelf is empty"


async def test_uncaught_host_error_fails_the_invocation(run):
    outcome, _ = await run("uncaught")
    assert outcome.error is not None
    assert "the shelf is empty" in outcome.error.message
    assert outcome.error.line == 13


async def test_arguments_that_are_not_json_throw_without_reaching_the_host(run):
    outcome, host = await run("cyclic")
    assert outcome.value == "TypeError: kv.echo: arguments are not JSON-serialisable"
    assert host.calls == []


async def test_a_plain_handler_makes_no_host_call(run):
    outcome, host = await run("plain")
    assert outcome.value == "plain"
    assert host.calls == []


async def test_an_unknown_op_is_an_error_the_script_can_catch(run):
    outcome, _ = await run("missing")
    assert outcome.value == "kv.missing is not available here"


@pytest.mark.parametrize("size", [0, 1, 32767, 32768, 32769, 65537, 300_001])
async def test_requests_and_answers_of_any_length_cross_intact(run, size):
    # Longer than the channel's 32 Ki code units: both ways go in chunks. The
    # text mixes ASCII, accents and astral characters (surrogate pairs), and a
    # pair may be split between chunks.
    unit = "aé😀"
    body = (unit * (size // len(unit) + 1))[:size]
    outcome, _ = await run("echo", body=body)
    assert outcome.error is None
    assert outcome.value == body


async def test_a_script_blocked_in_a_host_call_is_stopped_at_its_time_limit(run):
    outcome, _ = await run("blocked", seconds=0.3)
    assert outcome.error is not None and outcome.error.code == "timeout"
    assert ("host", 1) not in run.engine  # its context was discarded (R8)
    again, _ = await run("direct")
    assert again.value == "AB"  # on a fresh context


async def test_host_calls_past_the_limit_fail_the_invocation_even_if_caught(
    run, monkeypatch
):
    monkeypatch.setattr(engine.context, "MAX_HOST_CALLS", 5)
    outcome, host = await run("many")
    assert outcome.error is not None
    assert "more than 5 host calls" in outcome.error.message
    assert host.calls == ["kv.get"] * 5  # the refused ones never reached it


async def test_host_calls_while_the_script_loads_are_not_available(run):
    outcome, _ = await run("loaded")
    assert outcome.value == "kv.get is not available here"


async def test_host_answers_each_call_with_its_value_or_error():
    host = Recorder()
    assert await host.call("kv.get", ["a"]) == {"ok": True, "value": "A"}
    assert await host.call("kv.slow", ["a"]) == {"ok": True, "value": "AA"}
    assert await host.call("kv.fail", []) == {
        "ok": False,
        "error": {"name": "StorageError", "message": "the shelf is empty"},
    }
    assert await Host().call("nope", []) == {
        "ok": False,
        "error": {"name": "Error", "message": "nope is not available here"},
    }


async def test_an_op_that_fails_unexpectedly_hides_its_details():
    async def broken():
        raise RuntimeError("password=hunter2")

    answer = await Host({"x.broken": broken}).call("x.broken", [])
    assert answer == {
        "ok": False,
        "error": {"name": "Error", "message": "x.broken failed on the server"},
    }
