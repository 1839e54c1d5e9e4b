"""PUT, GET, list and DELETE scripts through the Predix /system/scripts API."""

import pytest

from scripts_app.models import Route, Script, ScriptVersion
from tests.conftest import HELLO

GREETING_V2 = """
function hello(context) { return "Howdy!"; }
routeRegistry.registerRoute("/hello", "hello", "GET");
"""


@pytest.fixture(autouse=True)
def _no_periodic_route_refresh(settings):
    # Only an explicit invalidation may make a change visible in this process,
    # so "at once" cannot pass by waiting for the periodic refresh.
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 3600}


def test_first_put_creates_the_script_with_201(upload, cast):
    response = upload("hello", HELLO)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "hello"
    assert body["version"] == 1
    assert body["message"] == "Script created"
    assert body["routes"] == [{"method": "GET", "path": "/hello", "handler": "hello"}]
    script = Script.objects.get(tenant=cast["acme"], name="hello")
    assert script.source == HELLO
    assert script.author == cast["alice"]


def test_second_put_updates_with_200_and_the_next_version(upload, api):
    upload("hello", HELLO)
    response = upload("hello", GREETING_V2)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["message"] == "Script updated"
    assert api(host="acme.test").get("/hello").content == b"Howdy!"


def test_every_saved_source_is_kept_as_a_version(upload, cast):
    upload("hello", HELLO)
    upload("hello", GREETING_V2, user="bob")
    versions = ScriptVersion.objects.filter(script__name="hello").order_by("number")
    assert [(v.number, v.source, v.author) for v in versions] == [
        (1, HELLO, cast["alice"]),
        (2, GREETING_V2, cast["bob"]),
    ]


def test_get_returns_the_source_byte_for_byte_as_javascript(upload, api):
    # Non-ASCII, CRLF and trailing blanks must survive the round trip untouched.
    source = "// Grüße, 世界 \r\nfunction f() { return '✓'; }\r\n\n  "
    upload("unicode", source)
    response = api("alice").get("/system/scripts/unicode")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content == source.encode("utf-8")


def test_get_of_an_unknown_script_is_404_in_the_error_shape(api, cast):
    response = api("alice").get("/system/scripts/nothing")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "nothing" in error["message"]
    assert error["requestId"] == response["X-Request-Id"]


def test_listing_describes_each_script_of_the_tenant(upload, api):
    upload("hello", HELLO)
    upload("quiet", "/**\n * @name Quiet one\n * @execution custom\n */\nvar x = 1;\n")
    listing = api("alice").get("/system/scripts")
    assert listing.status_code == 200
    by_id = {s["id"]: s for s in listing.json()}
    assert set(by_id) == {"hello", "quiet"}
    assert by_id["hello"]["uri"] == "/system/scripts/hello"
    assert by_id["hello"]["routes"] == [
        {"method": "GET", "path": "/hello", "handler": "hello"}
    ]
    assert by_id["quiet"]["name"] == "Quiet one"
    assert by_id["quiet"]["execution"] == "custom"
    assert by_id["quiet"]["routes"] == []
    assert by_id["hello"]["author"] == "alice"


def test_delete_answers_204_then_the_script_is_gone(upload, api, cast):
    upload("hello", HELLO)
    client = api("alice")
    assert client.delete("/system/scripts/hello").status_code == 204
    assert client.get("/system/scripts/hello").status_code == 404
    assert client.delete("/system/scripts/hello").status_code == 404
    assert not Script.objects.filter(tenant=cast["acme"]).exists()
    assert not ScriptVersion.objects.exists()


def test_deleting_a_script_removes_its_routes_at_once(upload, api):
    upload("hello", HELLO)
    visitor = api(host="acme.test")
    # Load the route table first, so a stale cached copy would still answer.
    assert visitor.get("/hello").status_code == 200
    api("alice").delete("/system/scripts/hello")
    gone = visitor.get("/hello")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    assert not Route.objects.exists()


def test_route_can_be_claimed_again_after_its_script_is_deleted(upload, api):
    upload("hello", HELLO)
    api("alice").delete("/system/scripts/hello")
    assert upload("greeter", GREETING_V2).status_code == 201
    assert api(host="acme.test").get("/hello").content == b"Howdy!"


def test_upload_accepts_text_javascript_with_a_charset(api):
    response = api("alice").put(
        "/system/scripts/typed",
        data=b"var x = 1;",
        content_type="text/javascript; charset=utf-8",
    )
    assert response.status_code == 201, response.content
