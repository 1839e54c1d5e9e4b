"""What a manual run may be asked to run: the script's functions, checked args."""

import pytest

from scripts_app.runs import RunRefused, parse_args, script_functions


def test_top_level_functions_are_listed_in_source_order():
    source = """// runs the domain's main report
const helper = (x) => x + 1;
async function main(context) {}
function* numbers() {}
let shout = async s => s.toUpperCase();
var legacy = function () {};
const answer = 42;
function init() {}
  function nested() {}
"""
    assert script_functions(source) == ["helper", "main", "numbers", "shout", "legacy"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", {}), ("  ", {}), (None, {}), ('{"a": 1}', {"a": 1}), ("[1, 2]", [1, 2])],
)
def test_args_are_a_json_object_or_array(text, expected):
    assert parse_args(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "args is not valid JSON: Expecting property name"),
        ("7", "not a number"),
        ('"x"', "not a string"),
        ("true", "not a boolean"),
        ("[" * 200 + "]" * 200, "args is not valid JSON"),
    ],
)
def test_other_args_are_refused_with_a_message(text, says):
    with pytest.raises(RunRefused) as refused:
        parse_args(text)
    assert refused.value.status == 400
    assert says in refused.value.message
