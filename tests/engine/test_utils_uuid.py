"""utils.uuid and $.uuid give RFC 4122 identifiers; `$` is open to later modules.

`$` is the Predix app's (triggers_app/script_api.js); its uuid generators are
the engine's (engine/api/20_utils.js). These tests load that module as JS, as
the platform does, without Django.
"""

import time
import uuid
from pathlib import Path

import pytest

from engine import Engine, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, Script, make_context

DOLLAR = (Path(__file__).parents[2] / "triggers_app" / "script_api.js").read_text()


@pytest.fixture
async def script():
    engine = Engine(4, load_limits=LOAD_LIMITS, modules=(DOLLAR,))
    yield lambda source: Script(engine, source, "uuids", 1)
    engine.clear()


# 100 ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
GREGORIAN_OFFSET = 0x01B21DD213814000


async def test_utils_uuid_and_dollar_v4_are_random_version_4(script):
    s = script(
        "function h(c) { return Array.from({ length: 100 },"
        " (_, i) => i % 2 ? utils.uuid() : $.uuid.v4()); }"
    )

    ids = [uuid.UUID(i) for i in await s.value()]

    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert len(set(ids)) == 100


async def test_v1_carries_the_current_time_and_sorts_by_it(script):
    s = script(
        "function h(c) { return Array.from({ length: 300 }, () => $.uuid.v1()); }"
    )

    before = time.time()
    ids = [uuid.UUID(i) for i in await s.value()]
    after = time.time()

    assert {i.version for i in ids} == {1}
    times = [(i.time - GREGORIAN_OFFSET) / 1e7 for i in ids]
    assert before - 0.01 <= times[0] and times[-1] <= after + 0.01
    assert times == sorted(times) and len({i.time for i in ids}) == 300
    # One context keeps one random node id (multicast bit set) and clock sequence.
    assert len({i.node for i in ids}) == 1 and ids[0].node & 1 << 40
    assert len({i.clock_seq for i in ids}) == 1


async def test_a_later_module_can_add_members_to_dollar():
    extension = """(function (g, api) {
      Object.assign(g.$, { log: (m) => "logged " + m });
    })"""
    engine = Engine(2, load_limits=LOAD_LIMITS, modules=(DOLLAR, extension))

    async def load():
        return ScriptSource(
            "function h(c) { return [$.log('x'), typeof $.uuid.v4]; }", "dollar.js", {}
        )

    try:
        outcome = await engine.invoke(
            ("dollar", 1), "h", make_context(), Limits.of(2, 20), load
        )
    finally:
        engine.clear()

    assert outcome.value == ["logged x", "function"]


async def test_the_generator_handle_is_not_left_on_the_global_object(script):
    s = script("function h(c) { return typeof globalThis.__shRandom; }")

    assert await s.value() == "undefined"
