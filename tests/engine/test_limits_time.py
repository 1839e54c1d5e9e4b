"""R8: a script that runs past its time is stopped; everyone else goes on."""

import time

from engine import Limits, ScriptSource, ScriptTimeout

SHORT = Limits.of(0.5, 20)
# Generous: the limit is 0.5 s; stopping and discarding a context takes far less.
ANSWERED_WITHIN = 3.0

SPIN = """
var calls = 0;
function spin(context) { calls++; console.log("about to spin"); while (true) {} }
function count(context) { calls++; return calls; }
"""


async def test_infinite_loop_in_handler_is_stopped_at_its_time_limit(script):
    s = script(SPIN)
    started = time.monotonic()
    outcome = await s.call("spin", limits=SHORT)
    assert time.monotonic() - started < ANSWERED_WITHIN
    assert isinstance(outcome.error, ScriptTimeout)
    assert outcome.error.code == "timeout"
    assert "0.5 s" in outcome.error.message


async def test_timed_out_context_is_discarded_and_rebuilt_for_the_next_call(
    engine, script
):
    s = script(SPIN)
    assert await s.value("count") == 1
    await s.call("spin", limits=SHORT)
    assert s.key not in engine
    assert engine.stats["discarded"] == 1
    # A fresh context: the global counter starts again and the source was reloaded.
    assert await s.value("count") == 1
    assert s.loads == 2


async def test_other_scripts_keep_working_after_a_timeout(script):
    other = script("function h(context) { return 'still here'; }")
    assert await other.value() == "still here"
    await script(SPIN).call("spin", limits=SHORT)
    assert await other.value() == "still here"
    assert other.loads == 1


async def test_logs_written_before_a_timeout_are_kept(script):
    outcome = await script(SPIN).call("spin", limits=SHORT)
    assert [entry["message"] for entry in outcome.logs] == ["about to spin"]


async def test_infinite_loop_in_async_handler_after_await_is_stopped(script):
    s = script("async function h(c) { await null; while (true) {} }")
    outcome = await s.call(limits=SHORT)
    assert isinstance(outcome.error, ScriptTimeout)


async def test_infinite_loop_in_init_is_reported_as_a_timeout(engine):
    engine.load_limits = SHORT
    source = "function init(context) { console.log('init starts'); for (;;) {} }"
    started = time.monotonic()
    outcome = await engine.analyze(ScriptSource(source, "loop.js", {}))
    assert time.monotonic() - started < ANSWERED_WITHIN
    assert isinstance(outcome.error, ScriptTimeout)
    assert [entry["message"] for entry in outcome.logs] == ["init starts"]


async def test_infinite_loop_at_top_level_is_reported_as_a_timeout(engine):
    engine.load_limits = SHORT
    outcome = await engine.analyze(ScriptSource("while (true) {}", "top.js", {}))
    assert isinstance(outcome.error, ScriptTimeout)


async def test_call_whose_context_cannot_load_in_time_reports_the_timeout(script):
    s = script("while (true) {}\nfunction h(c) { return 1; }")
    s.engine.load_limits = SHORT
    outcome = await s.call()
    assert isinstance(outcome.error, ScriptTimeout)
    assert s.key not in s.engine
