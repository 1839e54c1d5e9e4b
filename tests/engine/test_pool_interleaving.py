"""A call blocked in a host call holds its own context only; each call keeps its own state."""

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
    engine = Engine(4, load_limits=LOAD_LIMITS, modules=(MODULE,))
    try:
        opened = asyncio.Event()
        slow = asyncio.create_task(call(engine, "slow", "ann", Gate(opened)))
        while not slow.done() and engine.stats["misses"] == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the slow call is now blocked at the gate
        quick = await asyncio.wait_for(call(engine, "quick", "bob"), 5)
        assert not slow.done()
        assert quick.error is None
        # It ran on a second context of the same version, which never saw ann.
        assert quick.value == {"started": 0, "who": "bob", "scratch": None}
        assert [e["message"] for e in quick.logs] == ["quick for bob"]
        assert quick.effects == [{"kind": "note", "data": "quick bob"}]
        opened.set()
        done = await slow
        assert done.error is None
        assert done.value == {"answer": "slow passed", "who": "ann", "scratch": "ann"}
        assert [e["message"] for e in done.logs] == [
            "slow starts for ann",
            "slow ends for ann",
        ]
        assert done.effects == [{"kind": "note", "data": "slow ann"}]
        assert engine.stats["misses"] == 2
        assert len(engine.contexts(("gate", 1))) == 2
    finally:
        engine.clear()


async def test_many_blocked_calls_each_get_their_own_answer():
    engine = Engine(
        16, load_limits=LOAD_LIMITS, modules=(MODULE,), contexts_per_script=4
    )
    try:
        opened = asyncio.Event()
        names = [f"u{i}" for i in range(30)]
        tasks = [
            asyncio.create_task(call(engine, "slow", n, Gate(opened))) for n in names
        ]
        await asyncio.sleep(0.3)
        opened.set()
        outcomes = await asyncio.gather(*tasks)
        assert [o.value["who"] for o in outcomes] == names
        assert [o.value["scratch"] for o in outcomes] == names
        assert [o.effects for o in outcomes] == [
            [{"kind": "note", "data": f"slow {n}"}] for n in names
        ]
        assert len(engine.contexts(("gate", 1))) == 4
    finally:
        engine.clear()


async def test_a_call_timed_out_at_the_host_does_not_take_other_calls_with_it():
    engine = Engine(4, load_limits=LOAD_LIMITS, modules=(MODULE,))
    try:
        opened, never = asyncio.Event(), asyncio.Event()
        waiting = asyncio.create_task(call(engine, "slow", "ann", Gate(opened)))
        await asyncio.sleep(0.2)
        stuck = await engine.invoke(
            ("gate", 1),
            "slow",
            make_context({"query": {"who": "bob"}}),
            Limits.of(0.3, 20),
            load,
            Gate(never),
        )
        assert stuck.error is not None and stuck.error.code == "timeout"
        assert [e["message"] for e in stuck.logs] == ["slow starts for bob"]
        assert stuck.effects == []  # a stopped call applies nothing (R5)
        opened.set()
        done = await waiting
        assert done.error is None
        assert done.value["who"] == "ann"
        # Only the stopped call's context was discarded.
        assert len(engine.contexts(("gate", 1))) == 1
    finally:
        engine.clear()
