"""core.json_input: JSON from outside, with a bound on nesting."""

import pytest

from core.json_input import JSONInputError, depth_exceeds, loads


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_as_deep_as_the_limit_parses():
    assert loads(nested(3), max_depth=3) == [[[]]]
    assert loads('{"a": {"b": [1]}}', max_depth=3) == {"a": {"b": [1]}}


@pytest.mark.parametrize("text", [nested(4), '{"a": {"b": [[1]]}}'])
def test_json_one_level_deeper_than_the_limit_is_refused(text):
    with pytest.raises(JSONInputError, match="nested more than 3 levels deep"):
        loads(text, max_depth=3)


def test_json_deeper_than_python_can_parse_is_refused_not_a_recursion_error():
    with pytest.raises(JSONInputError, match="nested more than 100 levels deep"):
        loads(nested(100_000))


def test_the_default_limit_is_the_setting(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_JSON_DEPTH": 2}

    assert loads(nested(2)) == [[]]
    with pytest.raises(JSONInputError, match="more than 2 levels"):
        loads(nested(3))


@pytest.mark.parametrize("text", ["{", "", b"\xff", "[1,]"])
def test_malformed_json_is_a_json_input_error(text):
    with pytest.raises(JSONInputError):
        loads(text)


def test_a_json_input_error_is_a_value_error():
    # Callers that refuse malformed JSON with `except ValueError` refuse it too.
    assert issubclass(JSONInputError, ValueError)


def test_scalars_have_no_depth():
    assert loads('"text"', max_depth=0) == "text"
    assert not depth_exceeds(5, 0)
    assert depth_exceeds([], 0)
