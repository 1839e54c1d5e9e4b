"""Route registrations: what init() may register, and what it is told when wrong."""

import json

import pytest

from engine import ScriptSource


async def analyze(engine, body: str):
    source = f"function h(c) {{ return 'ok'; }}\nfunction init(context) {{\n{body}\n}}"
    return await engine.analyze(ScriptSource(source, "routes.js", {}))


async def test_routes_with_params_and_wildcards_are_registered(engine):
    outcome = await analyze(
        engine,
        """
        routeRegistry.registerRoute("/users/:id", "h", "GET");
        routeRegistry.registerRoute("/users/:id/posts/:post_id", "h", "put");
        routeRegistry.registerRoute("/files/*", "h", "POST");
        routeRegistry.registerRoute("/", "h", "DELETE");
        """,
    )
    assert outcome.error is None
    assert outcome.registration_errors == []
    assert outcome.registrations["routes"] == [
        {"path": "/users/:id", "method": "GET", "handler": "h"},
        {"path": "/users/:id/posts/:post_id", "method": "PUT", "handler": "h"},
        {"path": "/files/*", "method": "POST", "handler": "h"},
        {"path": "/", "method": "DELETE", "handler": "h"},
    ]


async def test_register_route_answers_with_a_description(script):
    s = script(
        "var said = routeRegistry.registerRoute('/a', 'h', 'post');\n"
        "function h(c) { return said; }"
    )
    assert await s.value() == "Route registered: POST /a -> h"


async def test_method_defaults_to_get(engine):
    outcome = await analyze(engine, 'routeRegistry.registerRoute("/plain", "h");')
    assert outcome.registrations["routes"] == [
        {"path": "/plain", "method": "GET", "handler": "h"}
    ]


async def test_registering_the_same_path_and_method_again_replaces_the_handler(engine):
    outcome = await analyze(
        engine,
        """
        routeRegistry.registerRoute("/x", "first", "GET");
        routeRegistry.registerRoute("/x", "h", "GET");
        routeRegistry.registerRoute("/x", "h", "POST");
        """,
    )
    assert outcome.registrations["routes"] == [
        {"path": "/x", "method": "GET", "handler": "h"},
        {"path": "/x", "method": "POST", "handler": "h"},
    ]


async def test_a_route_to_a_missing_function_is_dropped_and_listed(engine):
    outcome = await analyze(
        engine,
        """
        routeRegistry.registerRoute("/gone", "nothere", "GET");
        routeRegistry.registerRoute("/kept", "h", "GET");
        """,
    )
    assert outcome.registrations["routes"] == [
        {"path": "/kept", "method": "GET", "handler": "h"}
    ]
    assert outcome.registration_errors == [
        "route GET /gone names handler 'nothere', which is not a function in this "
        "script"
    ]


INVALID = {
    "no leading slash": ('"users"', '"h"', '"GET"', "path must start with '/'"),
    "empty path": ('""', '"h"', '"GET"', "path must be a non-empty string"),
    "not a string": ("42", '"h"', '"GET"', "path must be a non-empty string"),
    "star not last": (
        '"/files/*/meta"',
        '"h"',
        '"GET"',
        "'*' is only allowed as the last segment",
    ),
    "bad param name": (
        '"/users/:1id"',
        '"h"',
        '"GET"',
        "invalid path parameter ':1id'",
    ),
    "empty param": ('"/users/:"', '"h"', '"GET"', "invalid path parameter ':'"),
    "dot dot": ('"/a/../admin"', '"h"', '"GET"', "invalid path segment '..'"),
    "query": ('"/a?b=1"', '"h"', '"GET"', "path must not contain '?' or '#'"),
    "too long": (
        '"/" + "a".repeat(200)',
        '"h"',
        '"GET"',
        "path is longer than 200 characters",
    ),
    "handler with dot": (
        '"/a"',
        '"obj.method"',
        '"GET"',
        "handler name must be a function name",
    ),
    "handler not a string": (
        '"/a"',
        "function () {}",
        '"GET"',
        "handler name must be a function name",
    ),
    "unknown method": ('"/a"', '"h"', '"FETCH"', "unsupported method 'FETCH'"),
}


@pytest.mark.parametrize(
    ("path", "handler", "method", "problem"), INVALID.values(), ids=INVALID.keys()
)
async def test_invalid_registration_is_answered_and_listed(
    engine, path, handler, method, problem
):
    outcome = await analyze(
        engine,
        f"const said = routeRegistry.registerRoute({path}, {handler}, {method});\n"
        "console.log(said);",
    )
    assert outcome.registrations["routes"] == []
    assert len(outcome.registration_errors) == 1
    assert problem in outcome.registration_errors[0]
    assert outcome.logs[0]["message"] == "Error: " + outcome.registration_errors[0]


async def test_path_of_exactly_200_characters_is_accepted(engine):
    outcome = await analyze(
        engine, 'routeRegistry.registerRoute("/" + "a".repeat(199), "h");'
    )
    assert outcome.registration_errors == []
    assert len(outcome.registrations["routes"][0]["path"]) == 200


async def test_registering_during_an_invocation_is_refused(script):
    s = script(
        """
        function init(c) { routeRegistry.registerRoute("/ok", "h"); }
        function h(c) {
          const said = routeRegistry.registerRoute("/late", "h");
          return [said, JSON.parse(routeRegistry.listRoutes())];
        }
        """
    )
    said, routes = await s.value()
    assert said.startswith("Error: ")
    assert "only be registered at top level or in init()" in said
    assert routes == [{"path": "/ok", "method": "GET", "handler": "h"}]


async def test_list_routes_returns_the_registered_routes_as_json(script):
    s = script(
        """
        routeRegistry.registerRoute("/top", "h", "POST");
        function init(c) { routeRegistry.registerRoute("/users/:id", "h"); }
        function h(c) { return routeRegistry.listRoutes(); }
        """
    )
    assert json.loads(await s.value()) == [
        {"path": "/top", "method": "POST", "handler": "h"},
        {"path": "/users/:id", "method": "GET", "handler": "h"},
    ]


async def test_route_to_a_missing_function_is_a_registration_error(engine):
    outcome = await analyze(
        engine,
        """
        routeRegistry.registerRoute("/ok", "h", "GET");
        routeRegistry.registerRoute("/typo", "hh", "GET");
        """,
    )
    assert outcome.registration_errors == [
        "route GET /typo names handler 'hh', which is not a function in this script"
    ]
