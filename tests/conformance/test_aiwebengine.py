"""The aiwebengine seed's code blocks, verbatim, do what the seed says.

Each script is a fixture (fixtures/aiwebengine/, checked against the seed by
test_fixtures_are_verbatim.py); where the seed shows a handler without the
registerRoute call that serves it, that line is added after the block and
nothing else. Where a block needs more that the seed leaves out (the
application's own functions, such as getMimeType; a handler around a block
that reads `context`), that is added around it and said where; the fetch
blocks' example origins are pointed at a local server. Status codes, content
types and strings are the seed's. The stream and subscription blocks run
over real HTTP, in test_aiwebengine_over_http.py.
"""

import base64
import json
from urllib.parse import urlencode

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


@conforms("ResponseBuilder.noContent()")
def test_response_builder_no_content(cast, run):
    # deleteResource is the application's own (the seed leaves it out): it
    # keeps the id it was given, so the test can see the handler ran.
    from storage_app.models import StoredItem

    call = run(
        "response_no_content",
        source("response_no_content", ("/resources/:id", "deleteHandler", "DELETE"))
        + 'function deleteResource(id) { sharedStorage.setItem("deleted", id); }\n',
    )
    response = call("DELETE", "/resources/42")
    assert response.status_code == 204
    assert response.content == b""
    assert StoredItem.objects.get(tenant=cast["acme"], key="deleted").value == "42"


# The Validation Object block reads `context` and `req` (the seed: "If a
# snippet still shows `req`, it assumes this alias exists"): it runs inside a
# handler that has both, and answers what the block validated.
VALIDATED = """
function validatedHandler(context) {
  const req = context.request;
  try {
%s
    return ResponseBuilder.json({ userId, name, age });
  } catch (error) {
    return ResponseBuilder.error(400, error.message);
  }
}
function searchHandler(context) {
  try {
    return ResponseBuilder.json({ q: validate.requireQueryParam(context, "q") });
  } catch (error) {
    return ResponseBuilder.error(400, error.message);
  }
}
routeRegistry.registerRoute("/people/:userId", "validatedHandler", "POST");
routeRegistry.registerRoute("/find", "searchHandler", "GET");
"""


@conforms(
    "validate.requireQueryParam / requirePathParam / validateString / validateNumber"
)
def test_validate_object(run):
    call = run("validate_object", VALIDATED % fixture("aiwebengine", "validate_object"))
    form = "application/x-www-form-urlencoded"

    ok = call("POST", "/people/7", data="name=Ada&age=36", content_type=form)
    assert (ok.status_code, json.loads(ok.content)) == (
        200,
        {"userId": "7", "name": "Ada", "age": 36},
    )
    too_old = call("POST", "/people/7", data="name=Ada&age=151", content_type=form)
    assert too_old.status_code == 400
    assert "150" in json.loads(too_old.content)["error"]
    nameless = call("POST", "/people/7", data="name=&age=3", content_type=form)
    assert nameless.status_code == 400
    assert json.loads(nameless.content)["error"]
    assert json.loads(call("GET", "/find?q=books").content) == {"q": "books"}
    missing = call("GET", "/find")
    assert missing.status_code == 400
    assert "q" in json.loads(missing.content)["error"]


@conforms("console.pruneLogs()")
def test_console_prune_logs(cast, run, records, settings):
    # The seed lists console.pruneLogs() ("Remove old log entries to free up
    # storage space") without a block: the Console block's handlers, and one
    # line that calls it.
    from scripts_app.models import LogEntry

    settings.SCRIPTS = {**settings.SCRIPTS, "LOGS_KEPT_ON_PRUNE": 2}
    call = run(
        "console",
        source(
            "console_example",
            ("/debug", "debugHandler", "GET"),
            ("/logs", "viewLogsHandler", "GET"),
            ("/prune", "pruneHandler", "POST"),
        )
        + "function pruneHandler(req) { return console.pruneLogs(); }\n",
    )
    for _ in range(3):
        call("GET", "/debug")
    records()
    entries = LogEntry.objects.filter(script_name="conformance-console")
    assert entries.count() == 6
    newest = list(entries.order_by("-time", "-id").values_list("id", flat=True)[:2])

    pruned = call("POST", "/prune")
    assert (pruned.status_code, pruned.content) == (200, b"Pruned 4 log entries")
    assert sorted(entries.values_list("id", flat=True)) == sorted(newest)
    listed = json.loads(call("GET", "/logs").content)["allLogs"]
    assert len(listed) == 2
    again = call("POST", "/prune")
    assert again.content == b"Pruned 0 log entries"


# -- Message Dispatcher --------------------------------------------------------

# saveUserToDatabase is the application's own (the seed leaves it out).
SAVE_USER = """
function saveUserToDatabase(username, email) {
  sharedStorage.setItem("user:" + username, email);
  return "id-" + username;
}
"""


@conforms(
    "dispatcher.registerListener(messageType, handlerName)",
    "dispatcher.sendMessage(messageType, messageData)",
)
def test_dispatcher_listener_and_send_message(cast, run, records):
    from scripts_app.models import LogEntry

    run("dispatcher_listener", fixture("aiwebengine", "dispatcher_listener"))
    call = run("dispatcher_send", fixture("aiwebengine", "dispatcher_send") + SAVE_USER)
    form = "application/x-www-form-urlencoded"

    response = call(
        "POST", "/users", data="username=ann&email=ann%40example.com", content_type=form
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {"success": True, "userId": "id-ann"}
    records()

    def said(script):
        return list(
            LogEntry.objects.filter(script_name=f"conformance-{script}")
            .order_by("id")
            .values_list("message", flat=True)
        )

    # "Returns: String with dispatch statistics (successful/failed handler
    # invocations)", logged by the block.
    assert said("dispatcher-send") == [
        "User creation event: Message 'user.created' delivered to 1 listener: "
        "1 succeeded, 0 failed"
    ]
    assert said("dispatcher-listener") == ["New user created: ann (ann@example.com)"]


# -- Asset Storage ---------------------------------------------------------------

# getMimeType is the application's own (the fetchAsset block calls it; the
# seed leaves it out).
MIME = """
function getMimeType(name) {
  return name.endsWith(".css") ? "text/css" : "application/octet-stream";
}
"""
ASSETS = ["ReadAssets", "WriteAssets", "DeleteAssets"]
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def assets(run, api, settings, tmp_path):
    """Upload a script and grant it the seed's asset capabilities, as an admin does."""
    from django.urls import reverse

    settings.MEDIA_ROOT = tmp_path / "media"

    def put(name, text):
        call = run(name, text)
        granted = api("alice", "acme.test").put(
            reverse(
                "script-capabilities",
                kwargs={"name": f"conformance-{name.replace('_', '-')}"},
            ),
            {"capabilities": ASSETS},
            format="json",
        )
        assert granted.status_code == 200, granted.content
        return call

    return put


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encoded(**form) -> str:
    return urlencode(form)


@conforms(
    "assetStorage.listAssets()",
    "assetStorage.fetchAsset(asset_name)",
    "assetStorage.upsertAsset(asset_name, content_b64, mimetype)",
    "assetStorage.deleteAsset(asset_name)",
)
def test_asset_storage_blocks(assets):
    text = (
        "\n".join(
            fixture("aiwebengine", name)
            for name in (
                "asset_list",
                "asset_fetch",
                "asset_upsert",
                "asset_upsert_image",
                "asset_delete",
            )
        )
        + MIME
        + 'routeRegistry.registerRoute("/upload-image", "handleImageUpload", "POST");\n'
    )
    call = assets("asset_storage", text)
    css = b"body { color: teal; }\n"

    def post(path, **form):
        return call("POST", path, data=encoded(**form), content_type=FORM)

    created = post(
        "/upload-asset", name="main.css", content=b64(css), mimetype="text/css"
    )
    assert created.status_code == 201
    assert json.loads(created.content) == {
        "message": "Asset 'main.css' saved successfully",
        "assetName": "main.css",
    }
    incomplete = post("/upload-asset", name="main.css")
    assert (incomplete.status_code, incomplete.content) == (
        400,
        b"Missing required fields: name, content, mimetype",
    )
    invalid = post(
        "/upload-asset", name="x.css", content="not base64!", mimetype="text/css"
    )
    assert invalid.status_code == 400
    assert invalid.content.startswith(b"Error")

    listed = call("GET", "/assets")
    assert listed.status_code == 200
    body = json.loads(listed.content)
    assert body["count"] == 1
    (entry,) = body["assets"]
    assert {k: entry[k] for k in ("name", "size", "type")} == {
        "name": "main.css",
        "size": len(css),
        "type": "text/css",
    }
    assert entry["created"].endswith("Z") and entry["updated"].endswith("Z")

    fetched = call("GET", "/asset?name=main.css")
    assert (fetched.status_code, fetched.content) == (200, css)
    assert fetched["Content-Type"].startswith("text/css")
    missing = call("GET", "/asset?name=nothing.css")
    assert (missing.status_code, missing.content) == (
        404,
        b"Asset 'nothing.css' not found",
    )
    nameless = call("GET", "/asset")
    assert (nameless.status_code, nameless.content) == (400, b"Missing asset name")

    image = post("/upload-image", image=b64(b"\x89PNG fake"), filename="logo.png")
    assert (image.status_code, json.loads(image.content)) == (
        200,
        {
            "success": True,
            "message": "Asset 'logo.png' saved successfully",
            "filename": "logo.png",
        },
    )
    assert call("GET", "/asset?name=logo.png").content == b"\x89PNG fake"

    deleted = call("DELETE", "/delete-asset?name=main.css")
    assert (deleted.status_code, deleted.content) == (
        200,
        b"Asset 'main.css' deleted successfully",
    )
    # Deleting what is not there: the seed's "error message if not found".
    again = call("DELETE", "/delete-asset?name=main.css")
    assert (again.status_code, again.content) == (404, b"Asset 'main.css' not found")
    names = [a["name"] for a in json.loads(call("GET", "/assets").content)["assets"]]
    assert names == ["logo.png"]


@conforms(
    "assetStorage.listAssets()",
    "assetStorage.fetchAsset(asset_name)",
    "assetStorage.upsertAsset(asset_name, content_b64, mimetype)",
    "assetStorage.deleteAsset(asset_name)",
)
def test_asset_management_example(assets):
    call = assets("asset_crud", fixture("aiwebengine", "asset_crud"))
    content = b"\x00 asset \xff"

    created = call(
        "POST",
        "/assets",
        data=encoded(
            name="data.bin", content=b64(content), mimetype="application/octet-stream"
        ),
        content_type=FORM,
    )
    assert (created.status_code, json.loads(created.content)) == (
        201,
        {"message": "Asset 'data.bin' saved successfully"},
    )
    listed = json.loads(call("GET", "/assets").content)
    assert listed["count"] == 1
    assert listed["assets"][0]["name"] == "data.bin"
    assert {"name", "size", "mimetype", "createdAt", "updatedAt"} <= set(
        listed["assets"][0]
    )
    fetched = call("GET", "/assets/data.bin")
    assert (fetched.status_code, fetched.content) == (200, content)
    deleted = call("DELETE", "/assets/data.bin")
    assert json.loads(deleted.content) == {
        "message": "Asset 'data.bin' deleted successfully"
    }
    gone = call("GET", "/assets/data.bin")
    assert (gone.status_code, gone.content) == (404, b"Asset not found")
    again = call("DELETE", "/assets/data.bin")
    assert json.loads(again.content) == {"message": "Asset 'data.bin' not found"}


@conforms("routeRegistry.registerAssetRoute(assetPath)")
def test_register_asset_route(run, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    css, svg = b"h1 { color: navy; }\n", b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    owner = api("alice", "acme.test")
    for name, content, mimetype in (
        ("main.css", css, "text/css"),
        ("logo.svg", svg, "image/svg+xml"),
    ):
        stored = owner.put(
            f"/system/api/assets/{name}",
            {"content": b64(content), "mimetype": mimetype},
            format="json",
        )
        assert stored.status_code in (200, 201), stored.content
    call = run("asset_routes", fixture("aiwebengine", "asset_routes"))

    style = call("GET", "/styles/main.css")
    logo = call("GET", "/images/logo.svg")
    assert (style.status_code, style.content) == (200, css)
    assert style["Content-Type"] == "text/css"
    assert (logo.status_code, logo.content) == (200, svg)
    assert logo["Content-Type"] == "image/svg+xml"


# -- HTTP Fetch ------------------------------------------------------------------

# The fetch blocks call https://api.example.com and
# https://secure-api.example.com. A test cannot reach those, so the uploaded
# script has their origin replaced by a local test server's
# (tests/secrets_app/localserver), which FETCH_ALLOW (SCRIPT_FETCH_ALLOW)
# admits though it is a loopback address; the fixtures stay the seed's.
EXAMPLE_ORIGINS = ("https://api.example.com", "https://secure-api.example.com")


@pytest.fixture
def remote(settings):
    from tests.secrets_app.localserver import address, local_server

    with local_server() as server:
        settings.SCRIPTS = {**settings.SCRIPTS, "FETCH_ALLOW": [address(server)]}
        yield server


def pointed_at(server, text):
    from tests.secrets_app.localserver import address

    for origin in EXAMPLE_ORIGINS:
        text = text.replace(origin, f"http://{address(server)}")
    return text


@conforms("fetch(url, options)")
def test_fetch_get_and_post(run, remote, records):
    from scripts_app.models import LogEntry

    call = run(
        "fetch",
        pointed_at(
            remote,
            source(
                "fetch_get",
                ("/fetch/example", "fetchExample", "GET"),
                ("/fetch/create", "createResource", "POST"),
            )
            + fixture("aiwebengine", "fetch_post"),
        ),
    )

    example = call("GET", "/fetch/example")
    assert example.status_code == 200
    assert example["Content-Type"] == "application/json"
    # The test server answers what it received, as JSON.
    assert json.loads(example.content)["path"] == "/data"
    assert remote.seen[0]["method"] == "GET"
    records()
    assert LogEntry.objects.filter(
        script_name="conformance-fetch", message="Fetch successful: 200"
    ).exists()

    created = call("POST", "/fetch/create")
    assert created.status_code == 200
    sent = remote.seen[1]
    assert (sent["method"], sent["path"]) == ("POST", "/items")
    assert sent["headers"]["content-type"] == "application/json"
    assert json.loads(sent["body"]) == {
        "name": "New Item",
        "description": "Created via API",
    }
    assert json.loads(created.content)["method"] == "POST"


@conforms("fetch(url, options)")
def test_fetch_injects_secrets(cast, run, remote):
    from secrets_app.models import Secret

    values = {"api_key": "sk-conformance-1111", "external_api_key": "xk-conf-2222"}
    for identifier, value in values.items():
        secret = Secret(
            tenant=cast["acme"], identifier=identifier, allowed_hosts=["127.0.0.1"]
        )
        secret.set_value(value)
        secret.save()
    call = run(
        "fetch_secret",
        pointed_at(remote, source("fetch_secret", ("/secure", "callSecureAPI", "GET"))),
    )

    response = call("GET", "/secure")
    assert response.status_code == 200
    seen = remote.seen[0]["headers"]
    assert seen["authorization"] == "sk-conformance-1111"
    assert seen["x-api-key"] == "xk-conf-2222"
    # "The secret values never appear in your JavaScript code": the upstream's
    # echo of them reaches the script as placeholders.
    echoed = json.loads(response.content)["headers"]
    assert echoed["authorization"] == "[secret:api_key]"
    assert echoed["x-api-key"] == "[secret:external_api_key]"
    for value in values.values():
        assert value.encode() not in response.content


@conforms("fetch(url, options)")
def test_fetch_error_handling(run, remote, records):
    # Allowed: the upstream's 200 passes through. Not allowed (the seed's
    # "Blocked URLs"): fetch throws and the block's catch answers 500.
    from scripts_app.models import LogEntry
    from tests.secrets_app.localserver import local_server

    call = run(
        "fetch_errors",
        pointed_at(remote, source("fetch_errors", ("/robust", "robustFetch", "GET"))),
    )
    ok = call("GET", "/robust")
    assert ok.status_code == 200
    assert json.loads(ok.content)["path"] == "/data"

    with local_server() as blocked:
        call = run(
            "fetch_errors",
            pointed_at(
                blocked, source("fetch_errors", ("/robust", "robustFetch", "GET"))
            ),
        )
        refused = call("GET", "/robust")
        assert blocked.seen == []
    assert (refused.status_code, refused.content) == (500, b"Request failed")
    records()
    failure = LogEntry.objects.get(
        script_name="conformance-fetch-errors", message__startswith="Fetch failed: "
    )
    assert "loopback address" in failure.message


# -- GraphQL ---------------------------------------------------------------------


def graphql(api, query, variables=None, user="alice"):
    response = api(user, "acme.test").post(
        "/graphql", {"query": query, "variables": variables or {}}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@conforms(
    "graphQLRegistry.registerQuery(name, sdl, resolverFunction, visibility)",
    "graphQLRegistry.registerMutation(name, sdl, resolverFunction, visibility)",
)
def test_register_query_and_mutation(run, api, records):
    # The three blocks in one script: each defines `type User`, and
    # createUser's adds createdAt; they merge into one type.
    import time

    from scripts_app.models import LogEntry

    run(
        "graphql_users",
        "\n".join(
            fixture("aiwebengine", name)
            for name in ("graphql_query", "graphql_query_args", "graphql_mutation")
        ),
    )

    assert graphql(api, "query GetUsers { users { id name email } }") == {
        "data": {
            "users": [
                {"id": 1, "name": "Alice", "email": "alice@example.com"},
                {"id": 2, "name": "Bob", "email": "bob@example.com"},
            ]
        }
    }
    by_id = "query U($id: Int!) { user(id: $id) { id name email } }"
    assert graphql(api, by_id, {"id": 2}) == {
        "data": {"user": {"id": 2, "name": "Bob", "email": "bob@example.com"}}
    }
    assert graphql(api, by_id, {"id": 7}) == {"data": {"user": None}}

    before = int(time.time() * 1000)
    created = graphql(
        api,
        'mutation { createUser(name: "Ada", email: "ada@example.com") '
        "{ id name email createdAt } }",
    )
    after = int(time.time() * 1000)
    assert "errors" not in created, created
    user = created["data"]["createUser"]
    # id: Date.now(), beyond GraphQL's 32-bit Int: served as the safe
    # JavaScript integer it is (graphql_app.scalars).
    assert before <= user["id"] <= after
    assert (user["name"], user["email"]) == ("Ada", "ada@example.com")
    assert user["createdAt"].endswith("Z")
    # Such an id can be asked for again, as a variable or a literal.
    assert graphql(api, by_id, {"id": user["id"]}) == {"data": {"user": None}}
    assert graphql(api, f"{{ user(id: {user['id']}) {{ id }} }}") == {
        "data": {"user": None}
    }
    records()
    assert LogEntry.objects.filter(
        script_name="conformance-graphql-users",
        message="Created user: Ada (ada@example.com)",
    ).exists()


@conforms("graphQLRegistry.executeGraphQL(query, variables)")
def test_execute_graphql(run, api):
    text = (
        "\n".join(
            fixture("aiwebengine", name)
            for name in (
                "graphql_execute",
                "graphql_execute_variables",
                "graphql_execute_mutation",
            )
        )
        + "\n"
        + "\n".join(
            f'routeRegistry.registerRoute("{p}", "{h}", "{m}");'
            for p, h, m in (
                ("/gql/scripts", "listScriptsHandler", "GET"),
                ("/gql/script", "getScriptHandler", "GET"),
                ("/gql/scripts", "createScriptHandler", "POST"),
            )
        )
        + "\n"
    )
    call = run("graphql_execute", text)

    listed = call("GET", "/gql/scripts")
    assert listed.status_code == 200
    assert json.loads(listed.content) == {
        "scripts": [{"uri": "conformance-graphql-execute", "chars": len(text)}]
    }
    one = call("GET", "/gql/script?uri=conformance-graphql-execute")
    assert one.status_code == 200
    found = json.loads(one.content)["script"]
    assert (found["uri"], found["content"], found["contentLength"]) == (
        "conformance-graphql-execute",
        text,
        len(text),
    )
    assert isinstance(found["logs"], list)
    none = call("GET", "/gql/script")
    assert (none.status_code, none.content) == (400, b"Missing uri parameter")

    hello = 'routeRegistry.registerRoute("/hi", "hi", "GET");\nfunction hi() { return "hi"; }\n'
    created = call(
        "POST",
        "/gql/scripts",
        data=encoded(uri="made-by-graphql", content=hello),
        content_type=FORM,
    )
    assert created.status_code == 201
    assert json.loads(created.content) == {
        "message": "Script created",
        "uri": "made-by-graphql",
        "chars": len(hello),
        "success": True,
    }
    assert call("GET", "/hi").content == b"hi"
    refused = call(
        "POST",
        "/gql/scripts",
        data=encoded(uri="broken", content="function ("),
        content_type=FORM,
    )
    assert (refused.status_code, refused.content) == (500, b"Failed to create script")
    incomplete = call("POST", "/gql/scripts", data="uri=x", content_type=FORM)
    assert (incomplete.status_code, incomplete.content) == (
        400,
        b"Missing uri or content",
    )
