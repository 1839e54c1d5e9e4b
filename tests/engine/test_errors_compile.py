"""R12: a script that does not compile is refused with message, line and column."""

import pytest

from engine import CompileError, ScriptSource

CASES = {
    "first line": ("function f() { return 1 +; }", 1, 26, "Unexpected token ';'"),
    "later line": (
        "var a = 1;\nvar b = 2;\n  let = = 3;",
        3,
        9,
        "Unexpected token '='",
    ),
    "unterminated string": (
        "var ok = 1;\nvar s = 'abc\nvar t;",
        2,
        9,
        "Invalid or unexpected token",
    ),
    "unterminated template": (
        "var ok = 1;\nvar s = `abc\nvar t;",
        3,
        7,
        "Unexpected end of input",
    ),
    "unterminated comment": (
        "var ok = 1;\n/* no end",
        2,
        1,
        "Invalid or unexpected token",
    ),
    "unclosed brace": (
        "function f() {\n  return 1;\n",
        3,
        1,
        "Unexpected end of input",
    ),
    "crlf line ends": (
        "var a = 1;\r\nvar b = 2;\r\nvar = 3;",
        3,
        5,
        "Unexpected token '='",
    ),
}


@pytest.mark.parametrize(
    ("source", "line", "column", "message"), CASES.values(), ids=CASES.keys()
)
async def test_syntax_error_reports_message_line_and_column(
    engine, source, line, column, message
):
    with pytest.raises(CompileError) as caught:
        await engine.analyze(ScriptSource(source, "bad.js", {}))
    error = caught.value
    assert error.code == "compile_error"
    assert error.message == f"SyntaxError: {message}"
    assert (error.line, error.column) == (line, column)


async def test_compile_error_never_points_past_the_end_of_the_source(engine):
    source = "var a = 1;\nvar s = `never closed"
    with pytest.raises(CompileError) as caught:
        await engine.analyze(ScriptSource(source, "bad.js", {}))
    assert caught.value.line <= 2


@pytest.mark.parametrize("source", ["let __sh = {};", "function __sh() {}"])
async def test_declaring_the_host_binding_fails_the_load(engine, source):
    outcome = await engine.analyze(ScriptSource(source, "bad.js", {}))
    assert outcome.error is not None
    assert "Identifier '__sh' has already been declared" in outcome.error.message


async def test_invocation_of_a_script_that_no_longer_compiles_reports_the_error(script):
    outcome = await script("function h( {").call()
    assert isinstance(outcome.error, CompileError)
