"""R2: a context serves one call at a time; busy scripts get more warm contexts."""

import asyncio

from engine import Engine, Host, Limits, ScriptSource, ScriptTimeout
from tests.engine.harness import LOAD_LIMITS, Script

READ_MODIFY_WRITE = """
var counter = 0;
var me = Math.random();
async function h(c) {
  const seen = counter;
  await null;
  await Promise.resolve();
  counter = seen + 1;
  return [me, counter];
}
"""


async def test_a_context_runs_its_calls_one_after_the_other(script):
    s = script(READ_MODIFY_WRITE)
    outcomes = await asyncio.gather(*(s.call() for _ in range(20)))
    assert all(o.error is None for o in outcomes)
    counts: dict[float, list[int]] = {}
    for o in outcomes:
        counts.setdefault(o.value[0], []).append(o.value[1])
    # Each context's counter went 1, 2, 3...: no call interleaved with another.
    for seen in counts.values():
        assert sorted(seen) == list(range(1, len(seen) + 1))
    # Builds started for calls that a freed context served first stay warm.
    assert 1 <= len(counts) <= s.loads


async def test_with_one_context_per_script_concurrent_calls_queue_for_it():
    engine = Engine(8, load_limits=LOAD_LIMITS, contexts_per_script=1)
    try:
        s = Script(engine, READ_MODIFY_WRITE, "single", 1)
        outcomes = await asyncio.gather(*(s.call() for _ in range(20)))
        assert sorted(o.value[1] for o in outcomes) == list(range(1, 21))
        assert s.loads == 1
    finally:
        engine.clear()


async def test_overlapping_calls_get_several_contexts_up_to_the_cap():
    engine = Engine(16, load_limits=LOAD_LIMITS, contexts_per_script=3)
    try:
        s = Script(
            engine,
            "var me = Math.random();\n"
            # Long enough that the extra contexts are built before the first
            # one has served every call, even on a loaded machine.
            "function h(c) { const end = Date.now() + 400; while (Date.now() < end) {} return me; }",
            "busy",
            1,
        )
        outcomes = await asyncio.gather(*(s.call() for _ in range(12)))
        assert all(o.error is None for o in outcomes)
        assert len({o.value for o in outcomes}) == 3
        assert len(engine.contexts(s.key)) == 3 == s.loads
    finally:
        engine.clear()


async def test_concurrent_first_calls_wait_for_one_build_before_building_more(
    engine, script
):
    s = script("var built = Date.now();\nfunction h(c) { return built; }")
    outcomes = await asyncio.gather(*(s.call() for _ in range(10)))
    assert all(o.error is None for o in outcomes)
    assert engine.stats["misses"] == s.loads
    assert 1 <= s.loads <= engine.contexts_per_script


async def test_a_failed_build_is_reported_to_every_waiting_call(script):
    s = script("throw new Error('broken at load');\nfunction h(c) {}")
    outcomes = await asyncio.gather(*(s.call() for _ in range(5)))
    assert [o.error.message for o in outcomes] == ["Error: broken at load"] * 5
    assert s.loads == 1
    # Nothing was pooled: the next call tries again.
    await s.call()
    assert s.loads == 2


async def test_cancelling_the_call_that_started_a_build_does_not_fail_the_others(
    engine,
):
    release = asyncio.Event()
    loads = 0

    async def slow_load():
        nonlocal loads
        loads += 1
        await release.wait()
        return ScriptSource("function h(c) { return 'built'; }", "slow.js", {})

    def call():
        return engine.invoke(("slow", 1), "h", {}, Limits.of(2, 20), slow_load)

    first = asyncio.create_task(call())
    await asyncio.sleep(0)
    second = asyncio.create_task(call())
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    outcome = await second
    assert outcome.value == "built"
    assert loads == 1
    assert first.cancelled()


async def test_calls_do_not_wait_behind_a_call_that_spins(engine):
    s = Script(
        engine,
        "var calls = 0;\nfunction spin(c) { calls++; while (true) {} }\nfunction h(c) { return ++calls; }",
        "queue",
        1,
    )
    spin = asyncio.create_task(s.call("spin", limits=Limits.of(1, 20)))
    await asyncio.sleep(0.1)
    others = await asyncio.gather(*(s.call() for _ in range(3)))
    assert not spin.done()  # they ran on other contexts meanwhile
    # None of them ran on the spinner's context, which had seen one call.
    assert all(o.value >= 1 for o in others)
    assert isinstance((await spin).error, ScriptTimeout)
    assert await s.value() >= 1


async def test_calls_waiting_for_the_only_context_run_on_a_fresh_one_after_a_timeout():
    engine = Engine(8, load_limits=LOAD_LIMITS, contexts_per_script=1)
    try:
        s = Script(
            engine,
            "var calls = 0;\nfunction spin(c) { calls++; while (true) {} }\nfunction h(c) { return ++calls; }",
            "queue",
            1,
        )
        spin = asyncio.create_task(s.call("spin", limits=Limits.of(0.5, 20)))
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(s.call()) for _ in range(3)]
        assert isinstance((await spin).error, ScriptTimeout)
        values = sorted([(await w).value for w in waiting])
        # The rebuilt context never saw the spinning call.
        assert values == [1, 2, 3]
        assert s.loads == 2
    finally:
        engine.clear()


async def test_a_call_that_waits_too_long_for_a_context_says_the_script_is_busy():
    engine = Engine(8, load_limits=LOAD_LIMITS, contexts_per_script=1)
    try:
        s = Script(
            engine,
            "function spin(c) { const end = Date.now() + 800; while (Date.now() < end) {} return 1; }\n"
            "function h(c) { return 2; }",
            "crowded",
            1,
        )
        spin = asyncio.create_task(s.call("spin"))
        await asyncio.sleep(0.1)
        outcome = await s.call(limits=Limits.of(0.2, 20))
        assert outcome.error is not None and outcome.error.code == "busy"
        assert "All 1 contexts of this script stayed busy" in outcome.error.message
        assert (await spin).value == 1
        assert await s.value() == 2  # the context is free again
    finally:
        engine.clear()


async def test_context_built_across_an_evict_serves_its_callers_but_is_not_pooled(
    engine,
):
    release = asyncio.Event()

    async def slow_load():
        await release.wait()
        return ScriptSource("function h(c) { return 'stale'; }", "doc.js", {})

    task = asyncio.create_task(
        engine.invoke(("doc", 1), "h", {}, Limits.of(2, 20), slow_load)
    )
    await asyncio.sleep(0)
    engine.evict("doc")  # say, a new version was uploaded meanwhile
    release.set()
    assert (await task).value == "stale"
    assert ("doc", 1) not in engine
    assert len(engine) == 0


async def test_short_pure_js_calls_queue_on_one_context(engine):
    s = Script(
        engine, "var me = Math.random();\nfunction h(c) { return me; }", "short", 1
    )
    first = await s.value()  # now the context is known to answer fast

    outcomes = await asyncio.gather(*(s.call() for _ in range(30)))

    assert {o.value for o in outcomes} == {first}
    assert s.loads == 1 and len(engine.contexts(s.key)) == 1


async def test_long_calls_never_queue_on_a_busy_context(engine):
    s = Script(
        engine,
        "var me = Math.random();\n"
        "function h(c) { const end = Date.now() + 30; while (Date.now() < end) {} return me; }",
        "long",
        1,
    )
    await s.value()  # typically 30 ms: too long to queue behind
    most = 0
    acquire = engine._acquire

    async def watched(*args):
        nonlocal most
        ctx = await acquire(*args)
        most = max(most, *engine._slots[s.key].calls.values())
        return ctx

    engine._acquire = watched

    outcomes = await asyncio.gather(*(s.call() for _ in range(4)))

    assert all(o.error is None for o in outcomes)
    assert most == 1  # never two calls on one isolate
    assert len(engine.contexts(s.key)) >= 2


async def test_calls_of_a_script_that_waited_for_the_host_never_queue_behind_it():
    module = """(function (g, api) {
      api.define("kv", { get: (k) => api.call("kv.get", [k]) });
    })"""
    answer = asyncio.Event()

    class Slow(Host):
        def __init__(self):
            super().__init__({"kv.get": self.get})

        async def get(self, key):
            await answer.wait()  # an answer that waits for I/O, until told
            return key

    engine = Engine(8, load_limits=LOAD_LIMITS, modules=(module,))
    key = ("waits", 1)
    try:
        source = "var me = Math.random();\nfunction h(c) { kv.get('k'); return me; }"

        async def load():
            return ScriptSource(source, "waits.js", {})

        def call():
            return engine.invoke(key, "h", {}, Limits.of(30, 20), load, Slow())

        first = asyncio.create_task(call())  # fast in V8, but it waits for the host
        await asyncio.sleep(0.05)
        answer.set()
        await first
        answer.clear()
        calls = [asyncio.create_task(call()) for _ in range(3)]
        # Each blocked call holds its context: the others get new ones, however
        # long building them takes on a loaded machine.
        for _ in range(600):
            if len(engine.contexts(key)) == 3:
                break
            await asyncio.sleep(0.05)
        answer.set()
        outcomes = await asyncio.gather(*calls)

        assert len({o.value for o in outcomes}) == 3
        assert len(engine.contexts(key)) == 3
    finally:
        await engine.settle()
        engine.clear()
