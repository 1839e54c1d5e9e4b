"""Promise-returning host calls (R6): batching, errors, and nothing left unsettled (R7)."""

import pytest

from engine import Engine, Host, HostError, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, make_context

# An API module as an app would provide one: `kv.get(k)` is a host call.
MODULE = """(function (g, api) {
  api.define("kv", {
    get: (k) => api.call("kv.get", [k]),
    fail: () => api.call("kv.fail", []),
    odd: (v) => api.call("kv.get", [v]),
  });
})"""

SOURCE = """
async function chain(c) {
  const a = await kv.get("a");
  const [b, d] = await Promise.all([kv.get("b"), kv.get("d")]);
  return a + b + d;
}
function unawaited(c) { kv.get("late"); return "sync"; }
async function caught(c) {
  try { await kv.fail(); } catch (e) { return e.name + ": " + e.message; }
}
async function uncaught(c) { await kv.fail(); }
async function cyclic(c) { const o = {}; o.o = o; try { await kv.odd(o); } catch (e) { return e.message; } }
function plain(c) { return "plain"; }
async function forever(c) { for (;;) { await kv.get("n"); } }
"""


class Recorder(Host):
    def __init__(self):
        super().__init__({"kv.get": self.get, "kv.fail": self.fail})
        self.batches = []

    async def perform(self, batch):
        self.batches.append([op["op"] for op in batch])
        return await super().perform(batch)

    async def get(self, key):
        return key.upper()

    async def fail(self):
        raise HostError("the shelf is empty", "StorageError")


@pytest.fixture
async def run():
    engine = Engine(4, load_limits=LOAD_LIMITS, modules=(MODULE,))

    async def load():
        return ScriptSource(SOURCE, "host.js", {})

    async def call(handler, seconds=5):
        host = Recorder()
        outcome = await engine.invoke(
            ("host", 1), handler, make_context(), Limits.of(seconds, 20), load, host
        )
        return outcome, host

    yield call
    engine.clear()


async def test_awaited_calls_resolve_with_the_hosts_answers(run):
    outcome, host = await run("chain")
    assert outcome.error is None
    assert outcome.value == "ABD"


async def test_calls_started_together_reach_the_host_in_one_batch(run):
    _, host = await run("chain")
    assert host.batches == [["kv.get"], ["kv.get", "kv.get"]]


async def test_a_call_the_handler_did_not_await_still_completes(run):
    outcome, host = await run("unawaited")
    assert outcome.value == "sync"
    assert host.batches == [["kv.get"]]


async def test_host_error_rejects_with_its_name_and_message(run):
    outcome, _ = await run("caught")
    assert outcome.value == "StorageError: the shelf is empty"


async def test_uncaught_host_error_fails_the_invocation(run):
    outcome, _ = await run("uncaught")
    assert outcome.error is not None
    assert "the shelf is empty" in outcome.error.message


async def test_arguments_that_are_not_json_reject_without_reaching_the_host(run):
    outcome, host = await run("cyclic")
    assert outcome.value == "kv.get: arguments are not JSON-serialisable"
    assert host.batches == []


async def test_a_plain_handler_makes_no_host_round_trip(run):
    outcome, host = await run("plain")
    assert outcome.value == "plain"
    assert host.batches == []


async def test_endless_host_calls_stop_at_the_time_limit(run):
    outcome, host = await run("forever", seconds=0.5)
    assert outcome.error is not None and outcome.error.code == "timeout"
    assert len(host.batches) > 1


async def test_unknown_op_is_an_error_the_script_can_catch():
    outcome = await Host().perform([{"id": 1, "op": "nope", "args": []}])
    assert outcome == [
        {
            "id": 1,
            "ok": False,
            "error": {"name": "Error", "message": "nope is not available here"},
        }
    ]
