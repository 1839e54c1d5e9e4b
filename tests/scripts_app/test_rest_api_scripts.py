"""List, retrieve, create, replace and delete scripts, and read versions, at /system/api/."""

import pytest

from scripts_app.models import Script
from tests.conftest import HELLO

HOWDY = """
function hello(context) { return "Howdy!"; }
routeRegistry.registerRoute("/hello", "hello", "GET");
"""


@pytest.fixture(autouse=True)
def _no_periodic_route_refresh(settings):
    # Only an explicit invalidation may make a change visible in this process,
    # so "at once" cannot pass by waiting for the periodic refresh.
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 3600}


def _create(client, script_id="hello", source=HELLO):
    return client.post(
        "/system/api/scripts", {"id": script_id, "source": source}, format="json"
    )


def test_post_creates_a_script_with_201_and_its_routes(api, cast):
    response = _create(api("alice"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "hello"
    assert body["version"] == 1
    assert body["source"] == HELLO
    assert body["author"] == "alice"
    assert body["routes"] == [{"path": "/hello", "method": "GET", "handler": "hello"}]
    assert Script.objects.get(name="hello").tenant == cast["acme"]
    assert api(host="acme.test").get("/hello?name=api").content == b"Hello, api!"


def test_trailing_slash_is_accepted(api):
    response = api("alice").post(
        "/system/api/scripts/", {"id": "hello", "source": HELLO}, format="json"
    )
    assert response.status_code == 201
    assert api("alice").get("/system/api/scripts/hello/").status_code == 200


def test_list_returns_the_tenant_scripts(api, upload):
    upload("hello", HELLO)
    upload("other", "var x = 1;", user="erin", host="globex.test")
    listing = api("alice").get("/system/api/scripts")
    assert listing.status_code == 200
    assert [s["id"] for s in listing.json()] == ["hello"]


def test_retrieve_returns_source_version_and_header(api, upload):
    source = "/**\n * @name Greeter\n * @methods GET\n */\n" + HELLO
    upload("hello", source)
    body = api("alice").get("/system/api/scripts/hello").json()
    assert body["source"] == source
    assert body["version"] == 1
    assert body["header"] == {"name": "Greeter", "methods": ["GET"]}
    assert body["enabled"] is True


def test_put_replaces_the_source_with_200_and_a_new_version(api):
    client = api("bob")
    _create(client)
    response = client.put("/system/api/scripts/hello", {"source": HOWDY}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert api(host="acme.test").get("/hello").content == b"Howdy!"


def test_put_to_a_new_id_creates_it_with_201(api):
    response = api("alice").put(
        "/system/api/scripts/fresh", {"source": "var a;"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["id"] == "fresh"


def test_put_ignores_an_id_in_the_body_that_differs_from_the_url(api):
    client = api("alice")
    client.put(
        "/system/api/scripts/real", {"id": "decoy", "source": "var a;"}, format="json"
    )
    assert list(Script.objects.values_list("name", flat=True)) == ["real"]


def test_post_of_an_existing_id_is_409_and_changes_nothing(api):
    client = api("alice")
    _create(client)
    response = _create(client, source=HOWDY)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "script_exists"
    assert "PUT /system/api/scripts/hello" in error["message"]
    script = Script.objects.get(name="hello")
    assert (script.version, script.source) == (1, HELLO)


def test_versions_lists_every_saved_source_newest_first(api):
    client = api("alice")
    _create(client)
    client.put("/system/api/scripts/hello", {"source": HOWDY}, format="json")
    api("bob").put("/system/api/scripts/hello", {"source": HELLO}, format="json")
    versions = client.get("/system/api/scripts/hello/versions").json()
    assert [(v["number"], v["source"], v["author"]) for v in versions] == [
        (3, HELLO, "bob"),
        (2, HOWDY, "alice"),
        (1, HELLO, "alice"),
    ]


def test_delete_answers_204_and_the_route_is_gone_at_once(api):
    client = api("alice")
    _create(client)
    assert api(host="acme.test").get("/hello").status_code == 200
    assert client.delete("/system/api/scripts/hello").status_code == 204
    assert client.get("/system/api/scripts/hello").status_code == 404
    assert client.get("/system/api/scripts/hello/versions").status_code == 404
    assert api(host="acme.test").get("/hello").status_code == 404


def test_unknown_script_is_404_in_the_error_shape(api, cast):
    response = api("alice").get("/system/api/scripts/nothing")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "'nothing'" in error["message"]
    assert error["requestId"] == response["X-Request-Id"]
