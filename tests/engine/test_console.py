"""console.*: buffered per invocation, levelled, formatted and capped."""

import pytest

from engine import Engine, Limits, ScriptSource
from tests.engine.harness import Script


def messages(outcome):
    return [entry["message"] for entry in outcome.logs]


async def test_each_console_method_logs_at_its_level(script):
    s = script(
        "function h(c) { console.log('l'); console.info('i'); console.warn('w');"
        " console.error('e'); console.debug('d'); }"
    )
    outcome = await s.call()
    assert [(e["level"], e["message"]) for e in outcome.logs] == [
        ("LOG", "l"),
        ("INFO", "i"),
        ("WARN", "w"),
        ("ERROR", "e"),
        ("DEBUG", "d"),
    ]
    assert all(
        isinstance(e["time"], int) and e["time"] > 1_600_000_000_000
        for e in outcome.logs
    )


FORMATS = {
    "several arguments": ("'a', 1, true, null", "a 1 true null"),
    "object": ("{ id: 17, tags: ['x'] }", '{"id":17,"tags":["x"]}'),
    "array": ("[1, 'two']", '[1,"two"]'),
    "undefined": ("undefined", "undefined"),
    "function": ("function named() {}", "[Function named]"),
    "arrow": ("() => 1", "[Function anonymous]"),
    "bigint": ("10n", "10n"),
    "symbol": ("Symbol('s')", "Symbol(s)"),
    "cyclic": ("(() => { const o = {}; o.o = o; return o; })()", "[object Object]"),
    "map": ("new Map([[1, 2]])", "{}"),
}


@pytest.mark.parametrize(("arguments", "message"), FORMATS.values(), ids=FORMATS.keys())
async def test_console_formats_values_readably(script, arguments, message):
    outcome = await script(f"function h(c) {{ console.log({arguments}); }}").call()
    assert messages(outcome) == [message]


async def test_logged_error_shows_its_stack_without_prelude_frames(script):
    s = script(
        "function h(c) {\n  try { null.x; }\n  catch (e) { console.error('failed:', e); }\n}",
        name="logs",
    )
    (message,) = messages(await s.call())
    assert message.splitlines() == [
        "failed: TypeError: Cannot read properties of null (reading 'x')",
        "    at h (logs.js:2:14)",
    ]


async def test_logs_are_reset_between_invocations(script):
    s = script("var n = 0;\nfunction h(c) { n++; console.log('call ' + n); }")
    assert messages(await s.call()) == ["call 1"]
    assert messages(await s.call()) == ["call 2"]


async def test_logs_of_top_level_and_init_come_with_the_analysis(engine):
    source = "console.log('top');\nfunction init(c) { console.info('init'); }"
    outcome = await engine.analyze(ScriptSource(source, "load.js", {}))
    assert [(e["level"], e["message"]) for e in outcome.logs] == [
        ("LOG", "top"),
        ("INFO", "init"),
    ]


async def test_logs_of_a_failed_invocation_are_kept(script):
    outcome = await script(
        "function h(c) { console.log('before'); throw new Error('x'); }"
    ).call()
    assert messages(outcome) == ["before"]
    assert outcome.error is not None


def capped_engine(max_logs: int, max_chars: int) -> Engine:
    return Engine(
        2,
        load_limits=Limits.of(2, 20),
        config={"maxLogs": max_logs, "maxLogChars": max_chars},
    )


async def test_logs_past_the_cap_are_counted_not_kept():
    engine = capped_engine(3, 100)
    try:
        s = Script(
            engine,
            "function h(c) { for (let i = 0; i < 10; i++) console.log('n' + i); }",
            "cap",
            1,
        )
        outcome = await s.call()
        assert messages(outcome) == ["n0", "n1", "n2"]
        assert outcome.dropped_logs == 7
        # The next invocation has its own allowance.
        outcome = await s.call()
        assert len(outcome.logs) == 3
        assert outcome.dropped_logs == 7
    finally:
        engine.clear()


async def test_long_messages_are_truncated_and_marked():
    engine = capped_engine(10, 10)
    try:
        s = Script(
            engine,
            "function h(c) { console.log('0123456789abc'); console.log('0123456789'); }",
            "cut",
            1,
        )
        assert messages(await s.call()) == ["0123456789... [truncated]", "0123456789"]
    finally:
        engine.clear()


async def test_default_caps_keep_a_thousand_entries_of_8192_characters():
    engine = Engine(1, load_limits=Limits.of(2, 20))
    try:
        s = Script(
            engine,
            "function h(c) { for (let i = 0; i < 1001; i++) console.log('x'.repeat(9000)); }",
            "defaults",
            1,
        )
        outcome = await s.call()
        assert len(outcome.logs) == 1000
        assert outcome.dropped_logs == 1
        assert len(outcome.logs[0]["message"]) == 8192 + len("... [truncated]")
    finally:
        engine.clear()
