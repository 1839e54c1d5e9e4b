"""No script code runs outside an engine call, where no time limit applies."""

import asyncio

import pytest

COUNTER = """
var ticks = 0;
function tick() { ticks++; }
function read(context) { return ticks; }
"""

# Every way V8 and mini-racer offer to run a callback later, and what each
# attempt should now do instead.
SCHEDULERS = {
    "setTimeout": "setTimeout(tick, 1)",
    "mini-racer's timer manager": "__timer_manager.setTimeout(tick, 1)",
    "a fresh timer manager": "new __TimerManager().setTimeout(tick, 1)",
    "Atomics.waitAsync": (
        "Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)"
        ".value.then(tick)"
    ),
    "WebAssembly": "WebAssembly.compile(new Uint8Array([0,97,115,109,1,0,0,0])).then(tick)",
}


@pytest.mark.parametrize("schedule", SCHEDULERS.values(), ids=SCHEDULERS.keys())
async def test_callbacks_cannot_be_scheduled_to_run_between_calls(script, schedule):
    s = script(COUNTER + f"function h(context) {{ {schedule}; return 'scheduled'; }}")
    outcome = await s.call()
    assert outcome.error is not None
    assert outcome.error.code == "runtime_error"
    await asyncio.sleep(0.1)
    assert await s.value("read") == 0


async def test_finalization_callbacks_never_run(script):
    s = script(
        COUNTER
        + """
        const registry = new FinalizationRegistry(tick);
        function h(context) {
          for (let i = 0; i < 1000; i++) registry.register({ big: new Array(1000) }, i);
          return registry instanceof FinalizationRegistry;
        }
        """
    )
    assert await s.value() is True
    for _ in range(3):
        await s.value()  # garbage piles up; the engine may collect it
    await asyncio.sleep(0.1)
    assert await s.value("read") == 0


async def test_timers_are_not_offered(script):
    s = script(
        "function h(c) { return [typeof setTimeout, typeof clearTimeout, "
        "typeof Atomics.waitAsync, typeof WebAssembly]; }"
    )
    assert await s.value() == ["undefined"] * 4
