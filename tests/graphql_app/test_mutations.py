"""upsertScript and deleteScript: the same uploads and deletes as the REST API."""

import pytest

from scripts_app.models import Route, Script, ScriptVersion
from tests.conftest import HELLO
from tests.graphql_app.conftest import DELETE, UPSERT

BROKEN = """function broken(context) {
  return 1 +;
}
"""


def _upsert(graphql, uri, content, **kwargs):
    response = graphql(UPSERT, {"uri": uri, "content": content}, **kwargs)
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["upsertScript"]


def test_upsert_creates_a_script_whose_route_is_live(graphql, api):
    result = _upsert(graphql, "hello", HELLO)

    assert result == {
        "success": True,
        "message": "Script created",
        "uri": "hello",
        "chars": len(HELLO),
        "version": 1,
        "created": True,
        "code": None,
        "line": None,
        "column": None,
        "warnings": [],
    }
    script = Script.objects.get(tenant__slug="acme", name="hello")
    assert (script.source, script.author.username) == (HELLO, "alice")
    reply = api().get("/hello?name=Ada", HTTP_HOST="acme.test")
    assert reply.content == b"Hello, Ada!"


def test_upsert_replaces_and_keeps_every_version(graphql, api, upload):
    upload("hello", HELLO)
    changed = HELLO.replace('"Hello, "', '"Hi, "')

    result = _upsert(graphql, "hello", changed, user="bob")

    assert (result["success"], result["message"]) == (True, "Script updated")
    assert (result["version"], result["created"]) == (2, False)
    numbers = ScriptVersion.objects.filter(script__name="hello").values_list(
        "number", flat=True
    )
    assert sorted(numbers) == [1, 2]
    assert api().get("/hello", HTTP_HOST="acme.test").content == b"Hi, world!"


def test_a_compile_error_is_success_false_with_line_and_column(graphql):
    result = _upsert(graphql, "broken", BROKEN)

    assert result["success"] is False
    assert (result["code"], result["line"], result["column"]) == (
        "compile_error",
        2,
        13,
    )
    assert "line 2, column 13" in result["message"]
    assert result["uri"] == "broken"
    assert result["chars"] is None
    assert not Script.objects.filter(name="broken").exists()


def test_a_refused_replacement_keeps_the_old_version(graphql, upload, api):
    upload("hello", HELLO)

    result = _upsert(graphql, "hello", BROKEN)

    assert (result["success"], result["code"]) == (False, "compile_error")
    script = Script.objects.get(name="hello")
    assert (script.version, script.source) == (1, HELLO)
    assert api().get("/hello", HTTP_HOST="acme.test").content == b"Hello, world!"


ROUTE_ON = (
    'function h(c) {{ return "x"; }}\nrouteRegistry.registerRoute("{}", "h", "GET");\n'
)

REFUSED = {
    "compile error": ("broken", BROKEN),
    "invalid id": ("bad id!", "var a = 1;"),
    "empty": ("empty", "   \n"),
    "throws in init": ("thrower", "function init() { throw new Error('nope'); }"),
}


def test_a_failed_registration_is_success_with_the_rest_apis_warnings(graphql, upload):
    source = 'routeRegistry.registerRoute("no-slash", "missing", "GET");'
    rest = upload("badreg", source, user="bob").json()

    result = _upsert(graphql, "badreg", source, user="bob")

    assert (result["success"], result["version"]) == (True, 2)
    assert result["warnings"] == rest["warnings"]
    assert result["warnings"] == ["path must start with '/': no-slash"]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refusals_match_the_rest_api_word_for_word(graphql, upload, case):
    upload("hello", HELLO)  # holds GET /hello
    uri, source = REFUSED[case]
    rest = upload(uri, source, user="bob").json()["error"]

    result = _upsert(graphql, uri, source, user="bob")

    assert result["success"] is False
    assert (result["code"], result["message"]) == (rest["code"], rest["message"])
    assert (result["line"], result["column"]) == (rest.get("line"), rest.get("column"))
    assert Script.objects.filter(tenant__slug="acme").count() == 1


@pytest.mark.parametrize(
    ("path", "warning"),
    [
        ("/hello", "route GET /hello: script 'hello' already serves it"),
        (
            "/graphql/mine",
            "route GET /graphql/mine: the path is the platform's (reserved)",
        ),
    ],
)
def test_a_path_the_script_cannot_have_is_success_with_a_warning(
    graphql, upload, path, warning
):
    # Not a refusal (issue 13): the script is stored without the route.
    upload("hello", HELLO)

    result = _upsert(graphql, "thief", ROUTE_ON.format(path))

    assert (result["success"], result["warnings"]) == (True, [warning])
    assert not Route.objects.filter(script__name="thief").exists()
    assert Route.objects.get(path="/hello").script.name == "hello"


def test_a_too_large_script_is_refused(graphql, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_SOURCE_BYTES": 64}

    result = _upsert(graphql, "big", "var a = 1;\n" * 10)

    assert (result["success"], result["code"]) == (False, "too_large")
    assert "SCRIPT_MAX_SOURCE_BYTES" in result["message"]
    assert not Script.objects.filter(name="big").exists()


def test_delete_removes_the_script_and_its_routes(graphql, upload, api):
    upload("hello", HELLO)

    response = graphql(DELETE, {"uri": "hello"}, user="bob")

    assert response.json() == {
        "data": {
            "deleteScript": {
                "success": True,
                "message": "Script deleted",
                "uri": "hello",
                "code": None,
            }
        }
    }
    assert not Script.objects.filter(name="hello").exists()
    assert not Route.objects.filter(path="/hello").exists()
    assert api().get("/hello", HTTP_HOST="acme.test").status_code == 404


def test_deleting_a_missing_script_is_success_false(graphql, cast):
    result = graphql(DELETE, {"uri": "ghost"}).json()

    assert "errors" not in result
    assert result["data"]["deleteScript"] == {
        "success": False,
        "message": "No script 'ghost' in this tenant; the scripts query lists them.",
        "uri": "ghost",
        "code": "not_found",
    }


def test_mutations_are_refused_over_get(api, upload):
    upload("hello", HELLO)

    response = api("alice").get(
        "/graphql",
        {"query": 'mutation { deleteScript(uri: "hello") { success } }'},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 405
    assert "POST" in response.json()["errors"][0]["message"]
    assert Script.objects.filter(name="hello").exists()


def test_a_body_past_djangos_upload_limit_is_a_413(graphql, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = graphql(UPSERT, {"uri": "big", "content": "var a = 1;\n" * 200})

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "too_large"
    assert not Script.objects.filter(name="big").exists()
