"""R2: a bounded LRU pool of warm contexts, one per (script, version)."""

import pytest

from engine import Engine
from tests.engine.harness import LOAD_LIMITS, Script

COUNTER = "var n = 0;\nfunction h(c) { return ++n; }"


@pytest.fixture
async def small():
    engine = Engine(2, load_limits=LOAD_LIMITS)
    yield engine
    engine.clear()


async def test_least_recently_used_context_is_evicted_when_the_pool_is_full(small):
    a, b, c = (Script(small, COUNTER, name, 1) for name in "abc")
    await a.value()
    await b.value()
    await a.value()  # a is now the most recently used
    await c.value()
    assert a.key in small and c.key in small
    assert b.key not in small
    assert len(small) == 2
    assert small.stats["evictions"] == 1
    # a kept its warm state; b starts over on a fresh context.
    assert await a.value() == 3
    assert await b.value() == 1
    assert (a.loads, b.loads, c.loads) == (1, 2, 1)


async def test_new_version_replaces_the_old_versions_context(engine):
    v1 = Script(engine, "function h(c) { return 'v1'; }", "shop", 1)
    v2 = Script(engine, "function h(c) { return 'v2'; }", "shop", 2)
    assert await v1.value() == "v1"
    assert await v2.value() == "v2"
    assert v2.key in engine
    assert v1.key not in engine
    assert len(engine) == 1


async def test_hits_and_misses_are_counted(engine):
    s = Script(engine, COUNTER, "stats", 1)
    for _ in range(3):
        await s.value()
    assert engine.stats["misses"] == 1
    assert engine.stats["hits"] == 2


async def test_evict_drops_every_version_of_one_script(engine):
    shop = Script(engine, COUNTER, "shop", 1)
    blog = Script(engine, COUNTER, "blog", 1)
    await shop.value()
    await blog.value()
    assert engine.evict("shop") == 1
    assert shop.key not in engine and blog.key in engine
    assert engine.evict("shop") == 0
    assert await shop.value() == 1
    assert shop.loads == 2


async def test_clear_empties_the_pool_and_calls_still_work(engine):
    scripts = [Script(engine, COUNTER, f"s{i}", 1) for i in range(3)]
    for s in scripts:
        await s.value()
    engine.clear()
    assert len(engine) == 0
    assert [await s.value() for s in scripts] == [1, 1, 1]


def test_pool_size_must_be_positive():
    with pytest.raises(ValueError):
        Engine(0, load_limits=LOAD_LIMITS)


async def test_warm_builds_a_context_once_and_a_call_then_finds_it(engine):
    s = Script(engine, COUNTER, "soon", 1)
    assert engine.room() == engine.pool_size
    assert await engine.warm(s.key, s.load, 5) is True
    assert s.key in engine and s.loads == 1
    assert engine.room() == engine.pool_size - 1
    assert await engine.warm(s.key, s.load, 5) is True  # already warm
    assert await s.value() == 1  # its first call, on the warm context
    assert (s.loads, engine.stats["misses"]) == (1, 1)


async def test_warm_says_no_for_a_script_that_does_not_load(engine):
    broken = Script(engine, "function h(c) {", "broken", 1)
    throws = Script(engine, "throw new Error('no');", "throws", 1)
    assert await engine.warm(broken.key, broken.load, 5) is False
    assert await engine.warm(throws.key, throws.load, 5) is False
    assert broken.key not in engine and throws.key not in engine
