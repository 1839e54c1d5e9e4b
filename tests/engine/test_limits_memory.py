"""R8: a script that goes over its memory limit is stopped, V8 heap or not."""

import pytest

from engine import Limits, ScriptMemoryExceeded, ScriptSource

LIMITS = Limits.of(5, 20)

# Each holds on to far more than 20 MB. Only the first lives on the V8 heap that
# mini-racer's own limit watches; the others allocate ArrayBuffer backing stores.
BOMBS = {
    "heap": "const a = []; while (true) a.push(new Array(100000).fill(1));",
    "typed arrays": "for (;;) keep.push(new Uint8Array(8 << 20).fill(1));",
    "array buffers": "for (;;) keep.push(new ArrayBuffer(8 << 20));",
    "small buffers": "for (;;) keep.push(new ArrayBuffer(64 << 10));",
    "slices": "const a = new Uint8Array(8 << 20); for (;;) keep.push(a.slice());",
    "maps": "const a = new Uint8Array(8 << 20); for (;;) keep.push(a.map((x) => x));",
    "copies": "const a = new Uint8Array(8 << 20); for (;;) keep.push(a.toReversed());",
    "array-likes": "for (;;) keep.push(new Float64Array({ length: 1 << 20 }));",
    "from": "for (;;) keep.push(Uint16Array.from({ length: 4 << 20 }));",
    "subclass": "class B extends Uint8Array {} for (;;) keep.push(new B(8 << 20));",
    "resizable": "const b = new ArrayBuffer(8, { maxByteLength: 1 << 30 }); b.resize(1 << 30);",
    "caught": "for (;;) { try { keep.push(new Uint8Array(8 << 20)); } catch (e) {} }",
}


@pytest.mark.parametrize("body", BOMBS.values(), ids=BOMBS.keys())
async def test_allocation_bomb_in_handler_is_stopped_at_its_memory_limit(script, body):
    s = script(f"var keep = [];\nfunction h(context) {{ {body} }}")
    outcome = await s.call(limits=LIMITS)
    assert isinstance(outcome.error, ScriptMemoryExceeded), outcome.error
    assert outcome.error.code == "memory_limit"
    assert "20 MB" in outcome.error.message


async def test_next_call_after_a_memory_overrun_works_on_a_fresh_context(
    engine, script
):
    s = script(
        "var keep = [];\n"
        "function bomb(c) { for (;;) keep.push(new ArrayBuffer(1 << 20)); }\n"
        "function held(c) { return keep.length; }"
    )
    outcome = await s.call("bomb", limits=LIMITS)
    assert isinstance(outcome.error, ScriptMemoryExceeded)
    assert s.key not in engine
    assert await s.value("held") == 0
    assert s.loads == 2


async def test_buffers_dropped_between_calls_do_not_add_up(script):
    # 5 MB per call, 30 calls: 150 MB in all, never more than 5 MB reachable.
    s = script(
        "function h(c) { const a = new Uint8Array(5 << 20); a.fill(7); return a[9]; }"
    )
    for _ in range(30):
        assert await s.value() == 7


async def test_buffers_kept_between_calls_add_up_to_the_limit(script):
    s = script("var keep = [];\nfunction h(c) { keep.push(new ArrayBuffer(4 << 20)); }")
    errors = [(await s.call(limits=LIMITS)).error for _ in range(8)]
    assert errors[0] is None
    assert any(isinstance(e, ScriptMemoryExceeded) for e in errors)


async def test_small_typed_arrays_and_views_still_work(script):
    s = script(
        """
        function h(c) {
          const a = Uint8Array.from([1, 2, 3]);
          const view = new DataView(new ArrayBuffer(8));
          view.setUint16(0, 513);
          return [
            a instanceof Uint8Array, a.constructor === Uint8Array, a.slice(1).join(),
            new Uint8Array(a.buffer, 1, 1)[0], view.getUint8(1), ArrayBuffer.isView(a),
            Object.prototype.toString.call(a),
          ];
        }
        """
    )
    assert await s.value() == [True, True, "2,3", 2, 1, True, "[object Uint8Array]"]


async def test_allocation_bomb_at_top_level_is_reported_as_memory_limit(engine):
    source = "var keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20));"
    outcome = await engine.analyze(ScriptSource(source, "bomb.js", {}))
    assert isinstance(outcome.error, ScriptMemoryExceeded)


async def test_heap_bomb_in_init_is_reported_as_memory_limit(engine):
    source = "function init(c) { const a = []; for (;;) a.push({ n: a.length }); }"
    outcome = await engine.analyze(ScriptSource(source, "bomb.js", {}))
    assert isinstance(outcome.error, ScriptMemoryExceeded)
