"""The `validate` object, as the aiwebengine seed documents it (Validation Object)."""

import pytest

REQUEST = {
    "query": {"q": "v8"},
    "params": {"userId": "u-7"},
    "form": {"name": "Ada", "age": "36"},
}


async def check(script, expression: str):
    s = script(
        "function h(context) {\n"
        "  const req = context.request;\n"
        f"  try {{ return ['ok', {expression}]; }}\n"
        "  catch (e) { return ['error', e.message]; }\n"
        "}"
    )
    return tuple(await s.value("h", REQUEST))


CASES = {
    "path param": ("validate.requirePathParam(context, 'userId')", ("ok", "u-7")),
    "path param from request": (
        "validate.requirePathParam(req, 'userId')",
        ("ok", "u-7"),
    ),
    "path param missing": (
        "validate.requirePathParam(context, 'postId')",
        ("error", "Missing required path parameter: postId"),
    ),
    "query param": ("validate.requireQueryParam(context, 'q')", ("ok", "v8")),
    "query param missing": (
        "validate.requireQueryParam(context, 'page')",
        ("error", "Missing required query parameter: page"),
    ),
    "string": (
        "validate.validateString(req.form.name, { minLength: 1, maxLength: 100 })",
        ("ok", "Ada"),
    ),
    "string no options": ("validate.validateString('x')", ("ok", "x")),
    "string too short": (
        "validate.validateString(req.form.name, { minLength: 5 })",
        ("error", "String must be at least 5 characters long"),
    ),
    "string too long": (
        "validate.validateString(req.form.name, { maxLength: 2 })",
        ("error", "String must be at most 2 characters long"),
    ),
    "pattern as text": (
        "validate.validateString('abc-12', { pattern: '^[a-z]+-\\\\d+$' })",
        ("ok", "abc-12"),
    ),
    "pattern as regexp": (
        "validate.validateString('ABC', { pattern: /^[a-z]+$/i })",
        ("ok", "ABC"),
    ),
    "pattern mismatch": (
        "validate.validateString('abc', { pattern: '^\\\\d+$' })",
        ("error", "String does not match pattern /^\\d+$/"),
    ),
    "number": (
        "validate.validateNumber(req.form.age, { min: 0, max: 150 })",
        ("ok", 36),
    ),
    "number no options": ("validate.validateNumber('7')", ("ok", 7)),
    "number too big": (
        "validate.validateNumber(req.form.age, { max: 30 })",
        ("error", "Number must be at most 30"),
    ),
    "number invalid": (
        "validate.validateNumber('x', { min: 0 })",
        ("error", "Value must be a valid number"),
    ),
}


@pytest.mark.parametrize(("expression", "expected"), CASES.values(), ids=CASES.keys())
async def test_validate_method_succeeds_or_explains(script, expression, expected):
    assert await check(script, expression) == expected


async def test_global_pattern_gives_the_same_answer_every_time(script):
    s = script(
        "const CODE = /^[a-z]+$/g;\n"
        "function h(c) { return [1, 2, 3].map(() => validate.validateString('abc', { pattern: CODE })); }"
    )
    assert await s.value() == ["abc", "abc", "abc"]
