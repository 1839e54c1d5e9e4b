"""String.prototype.contains is `includes` by its older name (Predix's ES6 support)."""

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, message: e.message }; }
}
"""


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ('"Blue Whale".contains("Blue")', True),
        ('"Blue Whale".contains("blue")', False),
        ('"Blue Whale".contains("Blue", 1)', False),
        ('"Blue Whale".contains("")', True),
        ('"abc".contains()', False),
        ('"undefined".contains()', True),
        ("String.prototype.contains.length", 1),
    ],
)
async def test_contains_answers_as_includes_does(run, code, value):
    assert await run(code) == {"value": value}
    assert await run(code.replace("contains", "includes")) == {"value": value}


async def test_a_regular_expression_is_refused_as_includes_refuses_it(run):
    got = await run('"abc".contains(/b/)')

    assert got["error"] == "TypeError"
    assert "regular expression" in got["message"]


async def test_it_is_a_method_like_the_built_in_ones(run):
    assert await run(
        "[Object.keys(String.prototype), String.prototype.contains.name, "
        'Object.getOwnPropertyDescriptor(String.prototype, "contains").enumerable]'
    ) == {"value": [[], "contains", False]}


async def test_a_scripts_own_contains_wins(script):
    s = script(
        "String.prototype.contains = function () { return 'mine'; };\n"
        "function h(c) { return 'x'.contains('y'); }"
    )
    assert await s.value() == "mine"


async def test_it_works_in_strict_mode_code(script):
    s = script(
        '"use strict";\nfunction h(c) { return ["ab".contains("b"), "ab".contains("c")]; }'
    )
    assert await s.value() == [True, False]
