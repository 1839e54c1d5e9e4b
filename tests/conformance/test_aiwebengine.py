"""The aiwebengine seed's code blocks, verbatim, do what the seed says.

Each script is a fixture (fixtures/aiwebengine/, checked against the seed by
test_fixtures_are_verbatim.py); where the seed shows a handler without the
registerRoute call that serves it, that line is added after the block and
nothing else. Status codes, content types and strings are the seed's.
"""

import json

import pytest

from tests.conformance.seeds import fixture

conforms = pytest.mark.conforms


def source(name, *routes):
    """The fixture, then a registerRoute(path, handler, method) line per route."""
    lines = [
        f'routeRegistry.registerRoute("{path}", "{handler}", "{method}");'
        for path, handler, method in routes
    ]
    return fixture("aiwebengine", name) + "\n" + "\n".join(lines) + "\n"


@pytest.fixture
def run(cast, upload, api):
    """Upload a script as alice in acme; return call(method, path)."""

    def put(name, text):
        response = upload(f"conformance-{name.replace('_', '-')}", text)
        assert response.status_code in (200, 201), response.content
        return lambda method, path, **kwargs: api("alice", "acme.test").generic(
            method, path, **kwargs
        )

    return put


@conforms("routeRegistry.registerRoute(path, handlerName, method)")
def test_register_route(run):
    call = run("register_route", source("register_route"))
    response = call("GET", "/api/users")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.content == b"User list"


@conforms("ResponseBuilder.json(data, status)")
def test_response_builder_json(run):
    call = run(
        "response_json",
        source(
            "response_json",
            ("/users", "apiHandler", "GET"),
            ("/missing", "errorHandler", "GET"),
        ),
    )
    ok = call("GET", "/users")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("application/json")
    assert json.loads(ok.content) == {"users": ["Alice", "Bob"], "count": 2}
    missing = call("GET", "/missing")
    assert missing.status_code == 404
    assert json.loads(missing.content) == {"error": "Not found"}


@conforms("ResponseBuilder.text(text, status)")
def test_response_builder_text(run):
    call = run("response_text", source("response_text", ("/hi", "helloHandler", "GET")))
    response = call("GET", "/hi")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"Hello, World!"


@conforms("ResponseBuilder.html(html, status)")
def test_response_builder_html(run):
    call = run(
        "response_html", source("response_html", ("/page", "pageHandler", "GET"))
    )
    response = call("GET", "/page")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1>Welcome</h1>" in response.content


@conforms("ResponseBuilder.error(status, message)")
def test_response_builder_error(run):
    call = run(
        "response_error",
        source("response_error", ("/nothing", "notFoundHandler", "GET")),
    )
    response = call("GET", "/nothing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "Resource not found" in json.loads(response.content).values()


@conforms("ResponseBuilder.redirect(url, status)")
def test_response_builder_redirect(run):
    call = run(
        "response_redirect",
        source("response_redirect", ("/old", "redirectHandler", "GET")),
    )
    response = call("GET", "/old")
    assert response.status_code == 301
    assert response["Location"] == "/new-location"


@conforms(
    "sharedStorage.getItem(key)",
    "sharedStorage.setItem(key, value)",
    "sharedStorage.removeItem(key)",
    "sharedStorage.clear()",
)
def test_shared_storage_counter(run):
    # The four sharedStorage blocks together make the seed's counter.
    text = "\n".join(
        fixture("aiwebengine", name)
        for name in (
            "shared_get_item",
            "shared_set_item",
            "shared_remove_item",
            "shared_clear",
        )
    )
    call = run(
        "shared_storage",
        text
        + "\n"
        + "\n".join(
            f'routeRegistry.registerRoute("{p}", "{h}", "{m}");'
            for p, h, m in (
                ("/counter", "getCounter", "GET"),
                ("/counter/increment", "incrementCounter", "POST"),
                ("/counter/reset", "resetCounter", "POST"),
                ("/counter/clear", "clearAllData", "POST"),
            )
        ),
    )
    assert call("GET", "/counter").content == b"Counter: 0"
    assert call("POST", "/counter/increment").content == b"New count: 1"
    assert call("POST", "/counter/increment").content == b"New count: 2"
    assert call("GET", "/counter").content == b"Counter: 2"
    assert call("POST", "/counter/reset").content == b"Counter reset"
    assert call("POST", "/counter/reset").content == b"Counter didn't exist"
    assert call("POST", "/counter/increment").content == b"New count: 1"
    cleared = call("POST", "/counter/clear")
    assert (cleared.status_code, cleared.content) == (
        200,
        b"All shared storage cleared",
    )
    assert call("GET", "/counter").content == b"Counter: 0"


@conforms("console.log(message)", "console.info / warn / error / debug")
def test_console_logs_at_the_seeds_levels(run, records):
    from scripts_app.models import LogEntry

    call = run("console", source("console_example", ("/debug", "debugHandler", "GET")))
    response = call("GET", "/debug")
    assert (response.status_code, response.content) == (200, b"Check logs")
    records()
    logged = list(
        LogEntry.objects.filter(script_name="conformance-console")
        .order_by("id")
        .values_list("level", "message")
    )
    assert logged == [
        ("LOG", "Request received: /debug"),
        ("ERROR", "This is an error message"),
    ]


@conforms("console.listLogs()", "console.listLogsForUri(uri)")
def test_console_list_logs(run, records):
    call = run(
        "console",
        source(
            "console_example",
            ("/debug", "debugHandler", "GET"),
            ("/logs", "viewLogsHandler", "GET"),
        ),
    )
    call("GET", "/debug")
    records()
    response = call("GET", "/logs")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert isinstance(body["allLogs"], list) and isinstance(body["scriptLogs"], list)
    messages = [entry["message"] for entry in body["allLogs"]]
    assert "Request received: /debug" in messages
    for entry in body["allLogs"]:
        assert {"message", "level", "timestamp"} <= set(entry)
        assert isinstance(entry["timestamp"], int)
