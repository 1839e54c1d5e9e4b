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


# The validation blocks call the application's own functions (search, getUser,
# createUser, updateScore, getItems), which the seed leaves out: these stand in
# for them, after the block.
APP = """
function search(query) { return ["result for " + query]; }
function getUser(id) { return { id: id }; }
function createUser(name, email) { return { name: name, email: email }; }
function updateScore(userId, score) { return score; }
function getItems(page, limit) { return { page: page, limit: limit }; }
"""


@conforms("requireQueryParam(paramName)")
def test_require_query_param(run):
    call = run(
        "require_query_param",
        source("require_query_param", ("/search", "searchHandler", "GET")) + APP,
    )
    found = call("GET", "/search?q=books")
    assert found.status_code == 200
    assert json.loads(found.content) == {"results": ["result for books"]}
    missing = call("GET", "/search")
    assert missing.status_code == 400
    assert "q" in json.loads(missing.content)["error"]


@conforms("requirePathParam(paramName)")
def test_require_path_param(run):
    call = run("require_path_param", fixture("aiwebengine", "require_path_param") + APP)
    response = call("GET", "/users/42")
    assert response.status_code == 200
    assert json.loads(response.content) == {"user": {"id": "42"}}


@conforms("validateString(value, minLength, maxLength)")
def test_validate_string(run):
    call = run(
        "validate_string",
        source("validate_string", ("/users", "createUserHandler", "POST")) + APP,
    )
    created = call(
        "POST",
        "/users",
        data="name=Ada&email=ada%40example.com",
        content_type="application/x-www-form-urlencoded",
    )
    assert created.status_code == 201
    assert json.loads(created.content) == {
        "user": {"name": "Ada", "email": "ada@example.com"}
    }
    refused = call(
        "POST",
        "/users",
        data="name=&email=ada%40example.com",
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 400
    assert json.loads(refused.content)["error"]


@conforms("validateNumber(value, min, max)")
def test_validate_number(run):
    call = run(
        "validate_number",
        source("validate_number", ("/scores/:userId", "updateScoreHandler", "POST"))
        + APP,
    )
    form = "application/x-www-form-urlencoded"
    ok = call("POST", "/scores/7", data="score=50", content_type=form)
    assert (ok.status_code, json.loads(ok.content)) == (200, {"success": True})
    too_high = call("POST", "/scores/7", data="score=150", content_type=form)
    assert too_high.status_code == 400
    assert json.loads(too_high.content)["error"]


@conforms("optionalQueryParam(paramName, defaultValue)")
def test_optional_query_param(run):
    call = run(
        "optional_query_param",
        source("optional_query_param", ("/items", "listHandler", "GET")) + APP,
    )
    assert json.loads(call("GET", "/items").content) == {
        "results": {"page": 1, "limit": 10}
    }
    assert json.loads(call("GET", "/items?page=3&limit=5").content) == {
        "results": {"page": 3, "limit": 5}
    }


@conforms("convert.markdown_to_html(markdown)")
def test_markdown_to_html(run):
    call = run(
        "markdown_to_html",
        source("markdown_to_html", ("/blog", "renderBlogPost", "GET")),
    )
    response = call("GET", "/blog")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=UTF-8"
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<h1>My Blog Post</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert (
        'const hello = "world";' in html or "const hello = &quot;world&quot;;" in html
    )


@conforms(
    "personalStorage.getItem(key)",
    "personalStorage.setItem(key, value)",
    "personalStorage.removeItem(key)",
    "personalStorage.clear()",
)
def test_personal_storage_per_user(cast, upload, api):
    # The four personalStorage blocks together: each user has their own theme,
    # and an anonymous caller has none.
    text = (
        "\n".join(
            fixture("aiwebengine", name)
            for name in (
                "personal_get_item",
                "personal_set_item",
                "personal_remove_item",
                "personal_clear",
            )
        )
        + "\n"
        + "\n".join(
            f'routeRegistry.registerRoute("{p}", "{h}", "{m}");'
            for p, h, m in (
                ("/theme", "getUserPreference", "GET"),
                ("/theme", "saveUserPreference", "POST"),
                ("/theme/clear", "clearUserPreference", "POST"),
                ("/theme/all", "clearAllUserData", "POST"),
            )
        )
    )
    assert upload("conformance-personal", text).status_code in (200, 201)
    form = "application/x-www-form-urlencoded"

    def call(user, method, path, **kwargs):
        return api(user, "acme.test").generic(method, path, **kwargs)

    assert json.loads(call("alice", "GET", "/theme").content) == {"theme": "light"}
    saved = call("alice", "POST", "/theme", data="theme=dark", content_type=form)
    assert (saved.status_code, saved.content) == (200, b"Preference saved")
    assert json.loads(call("alice", "GET", "/theme").content) == {"theme": "dark"}
    # bob's storage is his own; an anonymous caller has none at all.
    assert json.loads(call("bob", "GET", "/theme").content) == {"theme": "light"}
    assert json.loads(call(None, "GET", "/theme").content) == {"theme": "light"}
    refused = call(None, "POST", "/theme", data="theme=dark", content_type=form)
    assert (refused.status_code, refused.content) == (401, b"Authentication required")
    assert call(None, "POST", "/theme/clear").content == b"No preference found"

    assert call("alice", "POST", "/theme/clear").content == b"Preference cleared"
    assert call("alice", "POST", "/theme/clear").content == b"No preference found"
    call("alice", "POST", "/theme", data="theme=blue", content_type=form)
    cleared = call("alice", "POST", "/theme/all")
    assert (cleared.status_code, cleared.content) == (200, b"All personal data cleared")
    assert json.loads(call("alice", "GET", "/theme").content) == {"theme": "light"}
    assert call(None, "POST", "/theme/all").status_code == 401


@conforms(
    "routeRegistry.listRoutes()",
    "routeRegistry.listStreams()",
    "routeRegistry.listAssets()",
)
def test_list_routes_streams_and_assets(cast, upload, records):
    # The three blocks run at top level, after the registrations they list
    # (which the seed leaves out); what they log is what the calls returned.
    from scripts_app.models import LogEntry

    text = (
        'routeRegistry.registerRoute("/a", "h", "GET");\n'
        'routeRegistry.registerStreamRoute("/chat");\n'
        'routeRegistry.registerAssetRoute("/styles/main.css", "main.css");\n'
        'function h(c) { return "x"; }\n'
        + fixture("aiwebengine", "list_routes")
        + fixture("aiwebengine", "list_streams")
        + fixture("aiwebengine", "list_assets")
    )
    assert upload("conformance-lists", text).status_code in (200, 201)
    records()
    logged = set(
        LogEntry.objects.filter(script_name="conformance-lists").values_list(
            "message", flat=True
        )
    )
    routes = next(m for m in logged if m.startswith("Registered routes: "))
    assert json.loads(routes.removeprefix("Registered routes: ")) == [
        {"path": "/a", "method": "GET", "handler": "h"}
    ]
    streams = next(m for m in logged if m.startswith("Stream path: "))
    path, uri = streams.removeprefix("Stream path: ").split(" URI: ")
    assert path == "/chat" and uri.endswith("/chat")
    assets = next(m for m in logged if m.startswith("Registered assets: "))
    assert json.loads(assets.removeprefix("Registered assets: ")) == [
        "/styles/main.css"
    ]
