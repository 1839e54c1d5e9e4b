"""Invocations of one script interleave while they wait for the host, each with its own state."""

import asyncio

from engine import Engine, Host, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, make_context

MODULE = """(function (g, api) {
  api.define("gate", {
    pass: (name) => api.call("gate.pass", [name]),
    note: (v) => api.effect("note", v),
    scratch: () => api.scratch(),
    who: () => api.request().query.who,
  });
})"""

SOURCE = """
var started = 0;
async function slow(c) {
  started++;
  console.log("slow starts for " + c.request.query.who);
  gate.note("slow " + c.request.query.who);
  gate.scratch().mine = c.request.query.who;
  const answer = await gate.pass("slow");
  console.log("slow ends for " + gate.who());
  return {answer: answer, who: gate.who(), scratch: gate.scratch().mine};
}
function quick(c) {
  console.log("quick for " + c.request.query.who);
  gate.note("quick " + c.request.query.who);
  return {started: started, who: c.request.query.who, scratch: gate.scratch().mine || null};
}
"""


class Gate(Host):
    """A host whose "gate.pass" op waits until the test opens the gate."""

    def __init__(self, opened: asyncio.Event):
        super().__init__({"gate.pass": self.pass_})
        self.opened = opened

    async def pass_(self, name):
        await self.opened.wait()
        return f"{name} passed"


async def call(engine, handler, who, host=None):
    return await engine.invoke(
        ("gate", 1),
        handler,
        make_context({"query": {"who": who}}),
        Limits.of(5, 20),
        load,
        host,
    )


async def load():
    return ScriptSource(SOURCE, "gate.js", {})


async def test_a_call_runs_while_another_call_of_the_same_script_waits_for_the_host():
    engine = Engine(2, load_limits=LOAD_LIMITS, modules=(MODULE,))
    try:
        opened = asyncio.Event()
        slow = asyncio.create_task(call(engine, "slow", "ann", Gate(opened)))
        while not slow.done() and engine.stats["misses"] == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the slow call is now waiting at the gate
        quick = await asyncio.wait_for(call(engine, "quick", "bob"), 5)
        assert not slow.done()
        assert quick.error is None
        # It ran in the same warm context, after the slow call had started.
        assert quick.value == {"started": 1, "who": "bob", "scratch": None}
        assert [e["message"] for e in quick.logs] == ["quick for bob"]
        assert quick.effects == [{"kind": "note", "data": "quick bob"}]
        opened.set()
        done = await slow
        assert done.error is None
        # After the other call, the slow one still sees its own request and scratch.
        assert done.value == {"answer": "slow passed", "who": "ann", "scratch": "ann"}
        assert [e["message"] for e in done.logs] == [
            "slow starts for ann",
            "slow ends for ann",
        ]
        assert done.effects == [{"kind": "note", "data": "slow ann"}]
        assert engine.stats["misses"] == 1
    finally:
        engine.clear()


async def test_many_interleaved_calls_each_get_their_own_answer():
    engine = Engine(2, load_limits=LOAD_LIMITS, modules=(MODULE,))
    try:
        opened = asyncio.Event()
        names = [f"u{i}" for i in range(30)]
        tasks = [
            asyncio.create_task(call(engine, "slow", n, Gate(opened))) for n in names
        ]
        await asyncio.sleep(0.2)
        opened.set()
        outcomes = await asyncio.gather(*tasks)
        assert [o.value["who"] for o in outcomes] == names
        assert [o.value["scratch"] for o in outcomes] == names
        assert [o.effects for o in outcomes] == [
            [{"kind": "note", "data": f"slow {n}"}] for n in names
        ]
        assert engine.stats["misses"] == 1
    finally:
        engine.clear()


class Spinner:
    """The gate script plus `spin`, a handler that never ends, in one Engine."""

    def __init__(self, spin_body: str):
        self.engine = Engine(2, load_limits=LOAD_LIMITS, modules=(MODULE,))
        self.source = SOURCE + f"\nasync function spin(c) {{ {spin_body} }}"
        self.loads = 0

    async def load(self):
        self.loads += 1
        return ScriptSource(self.source, "gate.js", {})

    def run(self, handler, who, host, seconds):
        return self.engine.invoke(
            ("spin", 1),
            handler,
            make_context({"query": {"who": who}}),
            Limits.of(seconds, 20),
            self.load,
            host,
        )


async def test_a_timed_out_call_does_not_take_the_waiting_calls_with_it():
    spinner = Spinner("await gate.pass('x'); for (;;) {}")
    engine, run = spinner.engine, spinner.run
    try:
        opened = asyncio.Event()
        waiting = asyncio.create_task(run("slow", "ann", Gate(opened), 5))
        await asyncio.sleep(0.2)
        stopped = engine._pool[("spin", 1)]
        opened.set()  # ann goes on at about the time the spinner starts
        outcome = await run("spin", "x", Gate(opened), 0.3)
        assert outcome.error is not None and outcome.error.code == "timeout"
        done = await waiting
        assert done.error is None
        assert done.value["who"] == "ann"
        # The stopped context is closed; nothing runs on it any more.
        assert stopped.closed
        assert engine._pool.get(("spin", 1)) is not stopped
    finally:
        engine.clear()


class OneWayGate(Gate):
    """As Gate, but what it did cannot be undone (like a fetch that was sent)."""

    def repeatable(self):
        return False


async def test_a_call_that_cannot_be_repeated_is_interrupted_not_rerun():
    spinner = Spinner("await null; for (;;) {}")
    engine, run = spinner.engine, spinner.run
    try:
        opened = asyncio.Event()
        one_way = asyncio.create_task(run("slow", "ann", OneWayGate(opened), 5))
        repeatable = asyncio.create_task(run("slow", "bob", Gate(opened), 5))
        await asyncio.sleep(0.2)  # both wait at the gate, having started
        # A loop after an await runs outside any engine call: only closing the
        # isolate stops it, which takes the waiting calls' context away too.
        outcome = await run("spin", "x", None, 0.3)
        assert outcome.error is not None and outcome.error.code == "timeout"
        opened.set()
        interrupted = await one_way
        assert interrupted.error is not None
        assert interrupted.error.code == "interrupted"
        assert interrupted.effects == []
        rerun = await repeatable
        assert rerun.error is None
        assert rerun.value == {"answer": "slow passed", "who": "bob", "scratch": "bob"}
        assert spinner.loads == 2  # bob's second run built a fresh context
    finally:
        engine.clear()
