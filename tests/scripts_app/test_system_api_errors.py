"""Every upload the system API refuses: status, error shape, and nothing changed."""

import time

import pytest

from scripts_app.models import Route, Script, ScriptVersion
from tests.conftest import HELLO

HOST = "acme.test"


@pytest.fixture
def live_hello(upload, api):
    """Upload hello v1 and return a function asserting it is still what serves."""
    assert upload("hello", HELLO).status_code == 201

    def unchanged():
        script = Script.objects.get(tenant__slug="acme", name="hello")
        assert (script.version, script.source) == (1, HELLO)
        assert ScriptVersion.objects.filter(script=script).count() == 1
        routes = Route.objects.filter(script=script)
        assert list(routes.values_list("method", "path", "handler")) == [
            ("GET", "/hello", "hello")
        ]
        reply = api(host=HOST).get("/hello?name=v1")
        assert (reply.status_code, reply.content) == (200, b"Hello, v1!")

    return unchanged


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response["X-Request-Id"]
    return error


def test_syntax_error_is_400_with_line_and_column(upload, live_hello):
    broken = "function hello(context) {\n  return 1;\n}\nvar y = ;\n"
    error = _error(upload("hello", broken), 400, "compile_error")
    assert (error["line"], error["column"]) == (4, 9)
    assert "Unexpected token ';'" in error["message"]
    assert "line 4, column 9" in error["message"]
    live_hello()


def test_unexpected_end_of_input_points_inside_the_uploaded_source(upload, cast):
    error = _error(upload("open", "var a = 1;\nfunction f() {"), 400, "compile_error")
    # Not past the end, where V8's appended sourceURL comment would put it.
    assert (error["line"], error["column"]) == (2, 15)
    assert not Script.objects.exists()


def test_init_that_throws_is_400_and_the_previous_version_keeps_serving(
    upload, live_hello
):
    source = (
        HELLO + "\nfunction init(context) {\n  throw new Error('no database');\n}\n"
    )
    error = _error(upload("hello", source), 400, "init_failed")
    assert "no database" in error["message"]
    assert (
        error["line"]
        == source.split("\n").index("  throw new Error('no database');") + 1
    )
    assert "init" in error["details"]["stack"]
    live_hello()


def test_top_level_throw_is_400(upload, live_hello):
    error = _error(upload("hello", "null.boom;\n"), 400, "init_failed")
    assert "TypeError" in error["message"]
    assert error["line"] == 1
    live_hello()


def test_init_in_an_endless_loop_is_stopped_within_the_init_limit(
    upload, live_hello, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "INIT_TIMEOUT_SECONDS": 1}
    started = time.monotonic()
    response = upload("hello", "function init(context) { while (true) {} }\n")
    elapsed = time.monotonic() - started
    error = _error(response, 400, "init_timeout")
    assert "1 s" in error["message"]
    assert elapsed < 1 + 4  # the limit plus generous slack for a busy machine
    live_hello()


def test_body_over_one_megabyte_is_413_and_nothing_is_stored(upload, live_hello):
    huge = "// " + "x" * (1024 * 1024) + "\n"
    error = _error(upload("hello", huge), 413, "too_large")
    assert "1048576" in error["message"]
    live_hello()


def test_body_of_exactly_one_megabyte_is_accepted(upload):
    limit = 1024 * 1024
    source = "var x = 1;\n//"
    source += "x" * (limit - len(source))
    assert len(source.encode()) == limit
    assert upload("big", source).status_code == 201


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", ""]
)
def test_wrong_content_type_is_415(api, live_hello, content_type):
    response = api("alice").generic(
        "PUT", "/system/scripts/hello", b"var x = 1;", content_type=content_type
    )
    error = _error(response, 415, "unsupported_media_type")
    assert "application/javascript" in error["message"]
    live_hello()


@pytest.mark.parametrize("script_id", [".hidden", "-dash", "a" * 129, "sp ace"])
def test_invalid_script_id_is_400(upload, script_id, cast):
    error = _error(upload(script_id, "var x = 1;"), 400, "invalid_script_id")
    assert "letters, digits" in error["message"]
    assert not Script.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n\t\n"])
def test_empty_script_is_400(upload, live_hello, body):
    _error(upload("hello", body), 400, "empty_script")
    live_hello()


def test_source_that_is_not_utf8_is_400(api, live_hello):
    response = api("alice").put(
        "/system/scripts/hello",
        data="var s = 'café';".encode("latin-1"),
        content_type="application/javascript",
    )
    error = _error(response, 400, "invalid_encoding")
    assert "UTF-8" in error["message"]
    live_hello()


def test_a_route_taken_by_another_script_is_a_warning_naming_it(upload, live_hello):
    # Not a refusal (issue 13): the copy is stored without the route, which
    # stays with the script that holds it.
    response = upload("copycat", HELLO)
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "route GET /hello: script 'hello' already serves it"
    ]
    assert Script.objects.get(name="copycat").registrations["routes"] == []
    assert not Route.objects.filter(script__name="copycat").exists()
    live_hello()


def test_same_route_in_another_tenant_is_no_conflict(upload, api, live_hello):
    response = upload("copycat", HELLO, user="erin", host="globex.test")
    assert response.status_code == 201, response.content
    assert api(host="globex.test").get("/hello?name=g").content == b"Hello, g!"
    live_hello()


@pytest.mark.parametrize(
    "path", ["/system/admin/x", "/system/x", "/system/api/x", "/graphql", "/health"]
)
def test_a_route_under_a_reserved_prefix_is_a_warning(upload, path):
    source = HELLO + f"function h() {{}}\nrouteRegistry.registerRoute('{path}', 'h');\n"
    response = upload("hello", source)
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        f"route GET {path}: the path is the platform's (reserved)"
    ]
    assert list(Route.objects.values_list("path", flat=True)) == ["/hello"]


def test_invalid_header_tag_is_400_with_its_line(upload, live_hello):
    source = "/**\n * @name Hello\n * @execution bogus\n */\n" + HELLO
    error = _error(upload("hello", source), 400, "invalid_header")
    assert error["line"] == 3
    assert "bogus" in error["message"]
    live_hello()


def test_unknown_method_on_the_script_resource_is_405(api, live_hello):
    response = api("alice").post(
        "/system/scripts/hello", data=b"x", content_type="application/javascript"
    )
    _error(response, 405, "method_not_allowed")
    live_hello()
