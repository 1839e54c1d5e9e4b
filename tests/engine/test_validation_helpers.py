"""Validation helpers, as the aiwebengine seed documents them."""

import pytest

from engine import ScriptSource

REQUEST = {
    "query": {"q": "v8", "page": "3", "empty": ""},
    "params": {"id": "17", "blank": ""},
}


async def check(script, expression: str, request: dict | None = None):
    """Evaluate `expression` in a handler; return ("ok", value) or ("error", message)."""
    s = script(
        "function h(context) {\n"
        f"  try {{ return ['ok', {expression}]; }}\n"
        "  catch (e) { return ['error', e.message]; }\n"
        "}"
    )
    return tuple(await s.value("h", REQUEST if request is None else request))


CASES = {
    "query present": ("requireQueryParam('q')", ("ok", "v8")),
    "query missing": (
        "requireQueryParam('nope')",
        ("error", "Missing required query parameter: nope"),
    ),
    "query empty": (
        "requireQueryParam('empty')",
        ("error", "Missing required query parameter: empty"),
    ),
    "path present": ("requirePathParam('id')", ("ok", "17")),
    "path missing": (
        "requirePathParam('slug')",
        ("error", "Missing required path parameter: slug"),
    ),
    "path empty": (
        "requirePathParam('blank')",
        ("error", "Missing required path parameter: blank"),
    ),
    "optional present": ("optionalQueryParam('page', '1')", ("ok", "3")),
    "optional missing": ("optionalQueryParam('limit', '10')", ("ok", "10")),
    "optional empty": ("optionalQueryParam('empty', 'x')", ("ok", "x")),
    "optional no default": ("optionalQueryParam('limit') === undefined", ("ok", True)),
    "string ok": ("validateString('Ada', 1, 100)", ("ok", "Ada")),
    "string defaults": ("validateString('')", ("ok", "")),
    "string not a string": (
        "validateString(undefined, 1, 5)",
        ("error", "Value must be a string"),
    ),
    "string too short": (
        "validateString('ab', 3, 5)",
        ("error", "String must be at least 3 characters long"),
    ),
    "string too long": (
        "validateString('abcdef', 1, 5)",
        ("error", "String must be at most 5 characters long"),
    ),
    "number from text": ("validateNumber('42', 0, 100)", ("ok", 42)),
    "number as is": ("validateNumber(3.5)", ("ok", 3.5)),
    "number zero min": ("validateNumber('0', 0)", ("ok", 0)),
    "number invalid": (
        "validateNumber('abc', 0, 100)",
        ("error", "Value must be a valid number"),
    ),
    "number empty": (
        "validateNumber('', 0, 100)",
        ("error", "Value must be a valid number"),
    ),
    "number missing": (
        "validateNumber(undefined)",
        ("error", "Value must be a valid number"),
    ),
    "number below": (
        "validateNumber('-1', 0, 100)",
        ("error", "Number must be at least 0"),
    ),
    "number above": (
        "validateNumber(101, 0, 100)",
        ("error", "Number must be at most 100"),
    ),
}


@pytest.mark.parametrize(("expression", "expected"), CASES.values(), ids=CASES.keys())
async def test_validation_helper_succeeds_or_explains(script, expression, expected):
    assert await check(script, expression) == expected


async def test_request_helpers_read_the_current_request_only(script):
    s = script(
        "function h(context) { return requireQueryParam('q'); }\n"
        "function other(context) { return optionalQueryParam('q', 'none'); }"
    )
    assert await s.value("h", {"query": {"q": "first"}}) == "first"
    assert await s.value("other") == "none"


async def test_request_helpers_outside_a_request_say_so(engine):
    source = "function init(context) { requireQueryParam('q'); }"
    outcome = await engine.analyze(ScriptSource(source, "init.js", {}))
    assert outcome.error.message == "Error: No request is being handled"
    assert outcome.error.line == 1
