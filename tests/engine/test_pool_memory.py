"""R2: a closed context's memory goes back at once, not at the next GC.

A context that the pool lets go (evicted, or an older version) must leave no
reference cycle behind: while one is uncollected it holds its isolate's
handles, and under context churn (many scripts, a small pool) that was up to
85 MB more in use between cyclic collections.
"""

import asyncio
import gc
import weakref

from engine import Engine
from tests.engine.harness import LOAD_LIMITS, Script


async def test_an_evicted_context_is_freed_without_the_cyclic_collector():
    engine = Engine(1, load_limits=LOAD_LIMITS)
    gc.collect()
    gc.disable()
    try:
        first = Script(engine, "function h(c) { return 1; }", "first", 1)
        assert await first.value() == 1
        context = weakref.ref(engine.contexts(first.key)[0])
        second = Script(engine, "function h(c) { return 2; }", "second", 1)
        assert await second.value() == 2  # evicts first's context
        await engine.settle()
        for _ in range(50):  # its close runs in a thread, then the loop lets go
            if context() is None:
                break
            await asyncio.sleep(0.02)

        assert context() is None, gc.get_referrers(context())
    finally:
        gc.enable()
        await engine.settle()
        engine.clear()
