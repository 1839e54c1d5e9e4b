"""ScriptSource(strict=True): the source runs in strict mode, in its own line numbers.

The engine puts the "use strict" directive on line 1, before the source, so
no line moves; the columns of line 1 it reports are those of the source.
"""

import pytest

from engine import CompileError, ScriptSource
from tests.engine.harness import CALL_LIMITS, make_context

LEAKS = "function h(c) {\n  return 1;\n}\nleaked = 42;\n"


async def analyze(engine, source, strict):
    return await engine.analyze(ScriptSource(source, "s.js", {}, strict=strict))


async def call(engine, source, strict, key):
    async def load():
        return ScriptSource(source, "s.js", {}, strict=strict)

    return await engine.invoke((key, 1), "h", make_context(), CALL_LIMITS, load)


async def test_assigning_an_undeclared_variable_fails_only_when_strict(engine):
    loose = await analyze(engine, LEAKS, strict=False)
    strict = await analyze(engine, LEAKS, strict=True)

    assert loose.error is None
    assert strict.error is not None
    assert "ReferenceError: leaked is not defined" in str(strict.error)
    assert (strict.error.line, strict.error.column) == (4, 8)


async def test_a_header_comment_before_the_code_keeps_it_strict(engine):
    source = (
        "/**\n"
        " * @name      Leaky\n"
        " * @execution custom\n"
        " */\n"
        "function h(c) { total = 1; return total; }\n"
    )
    outcome = await call(engine, source, True, "header")

    assert outcome.error is not None
    assert "total is not defined" in str(outcome.error)
    assert (outcome.error.line, outcome.error.column) == (5, 23)


async def test_columns_of_line_one_are_those_of_the_source(engine):
    source = 'function h(c) { throw new Error("boom"); }'
    loose = await call(engine, source, False, "loose")
    strict = await call(engine, source, True, "strict")

    assert (strict.error.line, strict.error.column) == (1, 23)
    assert (strict.error.line, strict.error.column) == (
        loose.error.line,
        loose.error.column,
    )
    assert strict.error.stack == loose.error.stack


async def test_a_compile_error_on_line_one_keeps_its_column(engine):
    with pytest.raises(CompileError) as loose:
        await analyze(engine, "var a = ;", strict=False)
    with pytest.raises(CompileError) as strict:
        await analyze(engine, "var a = ;", strict=True)

    assert (strict.value.line, strict.value.column) == (1, 9)
    assert (strict.value.line, strict.value.column) == (
        loose.value.line,
        loose.value.column,
    )


async def test_strict_mode_forbids_what_only_it_forbids(engine):
    # `with` is a syntax error in strict code only.
    source = "function h(c) { with (c) { return 1; } }"

    assert (await analyze(engine, source, strict=False)).error is None
    with pytest.raises(CompileError) as refused:
        await analyze(engine, source, strict=True)
    assert "Strict mode code may not include a with statement" in str(refused.value)
    assert (refused.value.line, refused.value.column) == (1, 17)
