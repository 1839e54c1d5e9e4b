"""R2: a synchronous stretch of a script never interleaves; a cold context is built once."""

import asyncio

from engine import Limits, ScriptSource, ScriptTimeout
from tests.engine.harness import Script

READ_MODIFY_WRITE = """
var counter = 0;
async function h(c) {
  const seen = counter;
  await null;
  await Promise.resolve();
  counter = seen + 1;
  return counter;
}
"""


async def test_concurrent_calls_on_one_script_run_one_after_the_other(script):
    s = script(READ_MODIFY_WRITE)
    outcomes = await asyncio.gather(*(s.call() for _ in range(20)))
    assert all(o.error is None for o in outcomes)
    assert sorted(o.value for o in outcomes) == list(range(1, 21))
    assert s.loads == 1


async def test_concurrent_first_calls_build_the_context_once(engine, script):
    s = script("var built = Date.now();\nfunction h(c) { return built; }")
    outcomes = await asyncio.gather(*(s.call() for _ in range(10)))
    assert s.loads == 1
    assert engine.stats["misses"] == 1
    assert len({o.value for o in outcomes}) == 1


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


async def test_calls_waiting_behind_a_timeout_run_on_a_fresh_context(engine):
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
