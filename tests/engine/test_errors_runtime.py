"""R12: runtime errors point at the uploaded source, with no prelude frames."""

import pytest

from engine import ScriptRuntimeError, ScriptSource


def assert_no_prelude_frames(stack: str) -> None:
    assert "<anonymous>" not in stack
    assert "__sh" not in stack


async def test_handler_error_reports_line_and_column_of_the_uploaded_source(script):
    s = script(
        "// a comment\n"
        "function h(context) {\n"
        "  const order = context.request.query;\n"
        "  return order.item.name;\n"
        "}\n",
        name="orders",
    )
    error = (await s.call()).error
    assert isinstance(error, ScriptRuntimeError)
    assert error.code == "runtime_error"
    assert (
        error.message
        == "TypeError: Cannot read properties of undefined (reading 'name')"
    )
    assert (error.line, error.column) == (4, 21)
    assert error.stack.splitlines()[1].strip() == "at h (orders.js:4:21)"
    assert_no_prelude_frames(error.stack)


async def test_stack_lists_the_scripts_own_frames_in_order(script):
    s = script(
        "function inner() {\n  throw new RangeError('deep');\n}\n"
        "function outer() { return inner(); }\n"
        "function h(context) { return [1].map(() => outer())[0]; }\n",
        name="deep",
    )
    error = (await s.call()).error
    assert error.message == "RangeError: deep"
    assert (error.line, error.column) == (2, 9)
    frames = [line.strip() for line in error.stack.splitlines()[1:]]
    assert frames == [
        "at inner (deep.js:2:9)",
        "at outer (deep.js:4:27)",
        "at deep.js:5:44",
        "at h (deep.js:5:34)",
    ]


async def test_rejection_of_an_async_handler_points_at_the_throw(script):
    s = script("async function h(c) {\n  await null;\n  throw new Error('later');\n}")
    error = (await s.call()).error
    assert error.message == "Error: later"
    assert (error.line, error.column) == (3, 9)
    assert_no_prelude_frames(error.stack)


async def test_error_raised_by_a_helper_points_at_the_scripts_call(script):
    s = script("function h(context) {\n  return requireQueryParam('q');\n}")
    error = (await s.call()).error
    assert error.message == "Error: Missing required query parameter: q"
    assert (error.line, error.column) == (2, 10)
    assert_no_prelude_frames(error.stack)


async def test_throw_at_top_level_reports_its_line(engine):
    source = "var ready = true;\n\nthrow new Error('not configured');\n"
    outcome = await engine.analyze(ScriptSource(source, "top.js", {}))
    assert outcome.error.message == "Error: not configured"
    assert (outcome.error.line, outcome.error.column) == (3, 7)
    assert outcome.error.stack == "Error: not configured\n    at top.js:3:7"


async def test_throw_in_init_reports_its_line(engine):
    source = "function init(context) {\n  console.log('init');\n  null.boom;\n}"
    outcome = await engine.analyze(ScriptSource(source, "init.js", {}))
    assert (
        outcome.error.message
        == "TypeError: Cannot read properties of null (reading 'boom')"
    )
    assert (outcome.error.line, outcome.error.column) == (3, 8)
    assert outcome.error.stack.splitlines()[1:] == ["    at init (init.js:3:8)"]
    assert [e["message"] for e in outcome.logs] == ["init"]


async def test_logs_written_before_a_top_level_throw_are_kept(engine):
    source = "console.warn('half way');\nthrow new Error('stop');"
    outcome = await engine.analyze(ScriptSource(source, "top.js", {}))
    assert [(e["level"], e["message"]) for e in outcome.logs] == [("WARN", "half way")]


THROWN = {
    "string": ("throw 'out of stock';", "Uncaught out of stock"),
    "object": (
        "throw { code: 42, reason: 'busy' };",
        'Uncaught {"code":42,"reason":"busy"}',
    ),
    "number": ("throw 7;", "Uncaught 7"),
    "null": ("throw null;", "Uncaught null"),
}


@pytest.mark.parametrize(("statement", "message"), THROWN.values(), ids=THROWN.keys())
async def test_throwing_a_non_error_in_a_handler_is_reported_readably(
    script, statement, message
):
    error = (await script(f"function h(c) {{ {statement} }}").call()).error
    assert error.message == message
    assert error.code == "runtime_error"


async def test_throwing_a_string_at_top_level_reports_it_and_its_line(engine):
    source = "var a = 1;\nthrow 'missing setting';"
    outcome = await engine.analyze(ScriptSource(source, "top.js", {}))
    assert outcome.error.message == "Uncaught missing setting"
    assert outcome.error.line == 2


async def test_throwing_an_object_at_top_level_says_to_throw_an_error(engine):
    outcome = await engine.analyze(ScriptSource("throw { a: 1 };", "top.js", {}))
    assert outcome.error.message.startswith("Uncaught [object Object]")
    assert "throw an Error" in outcome.error.message


async def test_throwing_an_object_in_init_is_reported_as_json(engine):
    source = "function init(c) { throw { missing: 'API_KEY' }; }"
    outcome = await engine.analyze(ScriptSource(source, "init.js", {}))
    assert outcome.error.message == 'Uncaught {"missing":"API_KEY"}'


async def test_error_with_custom_name_keeps_it(script):
    s = script(
        "class NotFound extends Error { constructor(m) { super(m); this.name = 'NotFound'; } }\n"
        "function h(c) { throw new NotFound('no such order'); }"
    )
    error = (await s.call()).error
    assert error.message == "NotFound: no such order"
    assert error.line == 2
