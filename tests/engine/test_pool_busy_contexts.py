"""R2: an evicted context that is serving a call is closed only when it is done."""

import asyncio

import pytest

from engine import Engine
from tests.engine.harness import LOAD_LIMITS, Script

SLOW = """
var n = 0;
function slow(c) { const end = Date.now() + 800; while (Date.now() < end) {} return ++n; }
function h(c) { return ++n; }
"""


async def start_slow(engine, script):
    task = asyncio.create_task(script.call("slow"))
    # Let the call reach V8 and start spinning.
    while script.key not in engine:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    return task


async def test_evicting_a_busy_context_lets_its_call_finish_then_closes_it(engine):
    s = Script(engine, SLOW, "busy", 1)
    task = await start_slow(engine, s)
    context = engine.contexts(s.key)[0]
    assert engine.evict("busy") == 1
    assert not context.closed
    outcome = await task
    assert outcome.error is None
    assert outcome.value == 1
    assert context.closed


async def test_lru_eviction_of_a_busy_context_waits_for_its_call():
    engine = Engine(1, load_limits=LOAD_LIMITS)
    try:
        busy = Script(engine, SLOW, "busy", 1)
        other = Script(engine, "function h(c) { return 'other'; }", "other", 1)
        task = await start_slow(engine, busy)
        context = engine.contexts(busy.key)[0]
        assert await other.value() == "other"  # pushes busy out of the pool of one
        assert busy.key not in engine
        assert not context.closed
        assert (await task).value == 1
        assert context.closed
    finally:
        engine.clear()


async def test_a_call_waiting_for_an_evicted_context_gets_a_fresh_one():
    engine = Engine(8, load_limits=LOAD_LIMITS, contexts_per_script=1)
    try:
        s = Script(engine, SLOW, "queued", 1)
        task = await start_slow(engine, s)
        context = engine.contexts(s.key)[0]
        waiting = asyncio.create_task(s.call())
        await asyncio.sleep(0)
        engine.clear()
        assert (await task).value == 1
        assert (await waiting).value == 1  # a fresh context, built for it
        assert context.closed
        assert s.loads == 2
    finally:
        engine.clear()


async def test_cancelling_a_running_call_discards_its_context(engine):
    s = Script(
        engine,
        "var n = 0;\nfunction spin(c) { n++; while (true) {} }\nfunction h(c) { return ++n; }",
        "cancel",
        1,
    )
    task = asyncio.create_task(s.call("spin"))
    # Its context is built, and then the call runs (a busy machine may take
    # longer than a fixed pause to build it).
    for _ in range(200):
        await asyncio.sleep(0.05)
        if engine.contexts(s.key):
            break
    await asyncio.sleep(0.2)
    context = engine.contexts(s.key)[0]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert context.closed
    assert await s.value() == 1
    assert s.loads == 2
