"""ResponseBuilder, as the aiwebengine seed documents it (Response Builders)."""

import json

import pytest

TEXT = "text/plain; charset=UTF-8"
HTML = "text/html; charset=UTF-8"

CASES = {
    "json": (
        "ResponseBuilder.json({ users: ['Alice', 'Bob'], count: 2 })",
        {
            "status": 200,
            "body": '{"users":["Alice","Bob"],"count":2}',
            "contentType": "application/json",
        },
    ),
    "json with status": (
        "ResponseBuilder.json({ error: 'Not found' }, 404)",
        {
            "status": 404,
            "body": '{"error":"Not found"}',
            "contentType": "application/json",
        },
    ),
    "text": (
        "ResponseBuilder.text('Hello, World!')",
        {"status": 200, "body": "Hello, World!", "contentType": TEXT},
    ),
    "text with status": (
        "ResponseBuilder.text('Accepted', 202)",
        {"status": 202, "body": "Accepted", "contentType": TEXT},
    ),
    "html": (
        "ResponseBuilder.html('<h1>Welcome</h1>')",
        {"status": 200, "body": "<h1>Welcome</h1>", "contentType": HTML},
    ),
    "html with status": (
        "ResponseBuilder.html('<p>gone</p>', 410)",
        {"status": 410, "body": "<p>gone</p>", "contentType": HTML},
    ),
    "error": (
        "ResponseBuilder.error(404, 'Resource not found')",
        {
            "status": 404,
            "body": '{"error":"Resource not found"}',
            "contentType": "application/json",
        },
    ),
    "no content": (
        "ResponseBuilder.noContent()",
        {"status": 204, "body": "", "contentType": TEXT},
    ),
    "redirect": (
        "ResponseBuilder.redirect('/new-location')",
        {"status": 302, "body": "", "headers": {"Location": "/new-location"}},
    ),
    "redirect with status": (
        "ResponseBuilder.redirect('/new-location', 301)",
        {"status": 301, "body": "", "headers": {"Location": "/new-location"}},
    ),
}


@pytest.mark.parametrize(("call", "expected"), CASES.values(), ids=CASES.keys())
async def test_response_builder_returns_the_documented_response(script, call, expected):
    assert await script(f"function h(c) {{ return {call}; }}").value() == expected


async def test_json_body_round_trips_unicode_and_nesting(script):
    s = script(
        "function h(c) { return ResponseBuilder.json({ s: 'ü\\u2028😀', n: [1, { m: null }] }); }"
    )
    response = await s.value()
    assert json.loads(response["body"]) == {"s": "ü\u2028😀", "n": [1, {"m": None}]}


async def test_text_turns_non_strings_into_text(script):
    response = await script(
        "function h(c) { return ResponseBuilder.text(42); }"
    ).value()
    assert response["body"] == "42"


async def test_validation_failure_becomes_a_400_as_the_seed_shows(script):
    s = script(
        """
        function search(context) {
          try {
            const q = requireQueryParam("q");
            return ResponseBuilder.json({ results: [q] });
          } catch (error) {
            return ResponseBuilder.error(400, error.message);
          }
        }
        """
    )
    assert await s.value("search", {"query": {"q": "v8"}}) == {
        "status": 200,
        "body": '{"results":["v8"]}',
        "contentType": "application/json",
    }
    assert await s.value("search") == {
        "status": 400,
        "body": '{"error":"Missing required query parameter: q"}',
        "contentType": "application/json",
    }


async def test_response_builder_cannot_be_changed_by_a_script(script):
    s = script(
        "ResponseBuilder.json = function () { return 'hijacked'; };\n"
        "function h(c) { return ResponseBuilder.json(1).body; }"
    )
    assert await s.value() == "1"
