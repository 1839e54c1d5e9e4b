"""/system/api/scripts refuses bad uploads in the platform's one error shape."""

import pytest
from rest_framework.exceptions import ValidationError

from scripts_app.models import Script, ScriptVersion
from tenants.errors import api_exception_handler
from tests.conftest import HELLO


def _error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["requestId"] == response["X-Request-Id"]
    return error


@pytest.fixture
def hello_v1(api):
    created = api("alice").post(
        "/system/api/scripts", {"id": "hello", "source": HELLO}, format="json"
    )
    assert created.status_code == 201

    def unchanged():
        script = Script.objects.get(name="hello")
        assert (script.version, script.source) == (1, HELLO)
        assert ScriptVersion.objects.filter(script=script).count() == 1
        assert api(host="acme.test").get("/hello?name=v1").content == b"Hello, v1!"

    return unchanged


def _put(api, source):
    return api("alice").put(
        "/system/api/scripts/hello", {"source": source}, format="json"
    )


def test_compile_error_carries_line_and_column(api, hello_v1):
    error = _error(_put(api, "var ok = 1;\n\n  if (ok {\n"), 400, "compile_error")
    assert (error["line"], error["column"]) == (3, 10)
    assert "line 3, column 10" in error["message"]
    hello_v1()


def test_init_that_throws_is_400_and_the_old_version_serves(api, hello_v1):
    source = HELLO + "function init() { throw new Error('missing config'); }\n"
    error = _error(_put(api, source), 400, "init_failed")
    assert "missing config" in error["message"]
    hello_v1()


def test_init_timeout_is_400(api, hello_v1, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "INIT_TIMEOUT_SECONDS": 1}
    _error(_put(api, "function init() { for (;;) {} }"), 400, "init_timeout")
    hello_v1()


def test_source_over_the_limit_is_413(api, hello_v1, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_SOURCE_BYTES": 1000}
    error = _error(_put(api, "// " + "é" * 500), 413, "too_large")
    assert "1000" in error["message"]
    hello_v1()


def test_empty_source_is_400(api, hello_v1):
    _error(_put(api, "  \n"), 400, "empty_script")
    hello_v1()


# Registrations the platform cannot take do not refuse the upload (issue 13):
# they are dropped, and the answer lists them as warnings.
def test_a_route_another_script_holds_is_a_warning_and_stays_with_it(api, hello_v1):
    response = api("bob").post(
        "/system/api/scripts", {"id": "rival", "source": HELLO}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "route GET /hello: script 'hello' already serves it"
    ]
    assert response.json()["routes"] == []
    assert Script.objects.get(name="rival").registrations["routes"] == []
    hello_v1()


def test_a_reserved_route_is_a_warning(api, hello_v1):
    source = HELLO + "function h() {}\nrouteRegistry.registerRoute('/system/x', 'h');"
    response = _put(api, source)
    assert response.status_code == 200, response.content
    assert response.json()["warnings"] == [
        "route GET /system/x: the path is the platform's (reserved)"
    ]
    assert [r["path"] for r in response.json()["routes"]] == ["/hello"]


def test_invalid_header_is_400(api, hello_v1):
    _error(_put(api, "/** @methods FETCH */\nvar a;"), 400, "invalid_header")
    hello_v1()


def test_invalid_script_id_is_400(api, cast):
    response = api("alice").post(
        "/system/api/scripts", {"id": "../etc", "source": "var a;"}, format="json"
    )
    _error(response, 400, "invalid_script_id")
    assert not Script.objects.exists()


def test_missing_fields_are_400_naming_them(api, cast):
    no_id = api("alice").post(
        "/system/api/scripts", {"source": "var a;"}, format="json"
    )
    assert "id" in _error(no_id, 400, "bad_request")["fields"]
    no_source = api("alice").post("/system/api/scripts", {"id": "x"}, format="json")
    assert "source" in _error(no_source, 400, "bad_request")["fields"]
    assert not Script.objects.exists()


def test_malformed_json_is_400(api, cast):
    response = api("alice").generic(
        "POST", "/system/api/scripts", b"{not json", content_type="application/json"
    )
    _error(response, 400, "bad_request")


def test_unsupported_media_type_is_415(api, cast):
    response = api("alice").generic(
        "POST", "/system/api/scripts", b"var a;", content_type="application/javascript"
    )
    _error(response, 415, "unsupported_media_type")


def test_patch_is_405(api, hello_v1):
    response = api("alice").patch(
        "/system/api/scripts/hello", {"source": "x"}, format="json"
    )
    _error(response, 405, "method_not_allowed")
    hello_v1()


def test_validation_error_with_a_list_detail_keeps_the_error_shape():
    response = api_exception_handler(
        ValidationError(["first problem", "second problem"]), {"request": None}
    )
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "bad_request",
            "message": "first problem second problem",
            "requestId": None,
        }
    }
