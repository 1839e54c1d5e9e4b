"""Parse the Predix header comment: @name @author @execution @methods @param @inject."""

import pytest

from scripts_app.header import HeaderError, parse_header

PREDIX_EXAMPLE = """'use strict';

/**
 * Cancels a request if one or more properties do not link to an entity.
 *
 * @name      ValidateLinksExist
 * @author    John Doe
 * @execution pre-processing
 * @methods   POST, PUT
 *
 * @param {Array<String>} properties - Properties that must link to an entity.
 */

for (let p of parameters.properties) {}
"""


def test_predix_example_header_yields_every_tag():
    assert parse_header(PREDIX_EXAMPLE) == {
        "description": "Cancels a request if one or more properties do not link "
        "to an entity.",
        "name": "ValidateLinksExist",
        "author": "John Doe",
        "execution": "pre-processing",
        "methods": ["POST", "PUT"],
        "params": [
            {
                "type": "Array<String>",
                "name": "properties",
                "description": "Properties that must link to an entity.",
            }
        ],
    }


def test_script_without_header_comment_has_empty_header():
    assert parse_header("function hello() { return 'hi'; }\n") == {}


def test_plain_block_comment_is_not_a_header():
    assert parse_header("/* @name Nope */\nvar x = 1;\n") == {}


def test_doc_comment_after_code_is_not_a_header():
    assert parse_header("var x = 1;\n/**\n * @name Late\n */\n") == {}


@pytest.mark.parametrize("mode", ["pre-processing", "post-processing", "custom"])
def test_each_execution_mode_is_accepted(mode):
    assert parse_header(f"/** @execution {mode} */")["execution"] == mode


def test_unknown_execution_mode_is_refused_with_its_line():
    source = "/**\n * @name x\n * @execution bogus\n */\n"
    with pytest.raises(HeaderError) as caught:
        parse_header(source)
    assert caught.value.line == 3
    assert "bogus" in str(caught.value)
    assert "pre-processing, post-processing, custom" in str(caught.value)


def test_header_after_use_strict_in_double_quotes_keeps_line_numbers():
    source = '"use strict";\n\n/**\n * @execution nonsense\n */\n'
    with pytest.raises(HeaderError) as caught:
        parse_header(source)
    assert caught.value.line == 4


def test_methods_are_upper_cased_trimmed_and_deduplicated():
    header = parse_header("/**\n * @methods get ,patch, GET,delete\n */")
    assert header["methods"] == ["GET", "PATCH", "DELETE"]


def test_methods_outside_the_rest_verbs_are_refused_by_name():
    with pytest.raises(HeaderError) as caught:
        parse_header("/**\n * @methods GET, HEAD\n */")
    assert "HEAD" in str(caught.value)
    assert caught.value.line == 2


def test_empty_methods_list_is_refused():
    with pytest.raises(HeaderError):
        parse_header("/** @methods */")


def test_params_keep_order_type_and_optional_description():
    header = parse_header(
        "/**\n"
        " * @param {String} first - The first one.\n"
        " * @param {Number} second\n"
        " * @param {Object} third another without a dash\n"
        " */"
    )
    assert header["params"] == [
        {"type": "String", "name": "first", "description": "The first one."},
        {"type": "Number", "name": "second", "description": ""},
        {"type": "Object", "name": "third", "description": "another without a dash"},
    ]


def test_param_without_type_is_refused_with_the_expected_form():
    with pytest.raises(HeaderError) as caught:
        parse_header("/**\n *\n * @param properties the list\n */")
    assert caught.value.line == 3
    assert "{Type} name" in str(caught.value)


def test_inject_current_is_recorded_once():
    header = parse_header("/**\n * @inject current\n * @inject current\n */")
    assert header["inject"] == ["current"]


def test_inject_of_anything_but_current_is_refused():
    with pytest.raises(HeaderError) as caught:
        parse_header("/**\n * @inject previous\n */")
    assert "current" in str(caught.value)
    assert "previous" in str(caught.value)


def test_unknown_tags_are_kept_aside():
    header = parse_header("/**\n * @name x\n * @since 2024\n */")
    assert header == {"name": "x", "tags": {"since": "2024"}}


def test_windows_line_endings_and_byte_order_mark_are_tolerated():
    source = "\ufeff/**\r\n * @name Windows\r\n * @methods GET\r\n */\r\nvar x;\r\n"
    assert parse_header(source) == {"name": "Windows", "methods": ["GET"]}


def test_single_line_header_is_parsed():
    assert parse_header("/** @name Tiny */ var x = 1;") == {"name": "Tiny"}
