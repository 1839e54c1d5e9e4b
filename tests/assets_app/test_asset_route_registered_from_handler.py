"""routeRegistry.registerAssetRoute from a handler, outside init() (issue 13).

The reference implementation keeps an asset path registered from a handler
until the script is reloaded. Here the host says at once whether the platform
takes it (the call's answer), and it is stored once the invocation succeeds
with the script's registrations and in the route table: served, listed by
listAssets, kept across restarts, and dropped by the script's next upload.
"""

import json

import pytest

from scripts_app.models import Route, Script
from scripts_app.sources import forget_sources
from tests.assets_app.conftest import png

pytestmark = pytest.mark.django_db

HOST = "acme.test"
IMAGE = png(4, 4)

PUBLISHER = """
function publish(context) {
  const q = context.request.query;
  return routeRegistry.registerAssetRoute(q.path, q.asset || "brand/logo.png");
}
function publishThenFail(context) {
  routeRegistry.registerAssetRoute("/doomed.png", "brand/logo.png");
  throw new Error("changed my mind");
}
function publishAndList(context) {
  routeRegistry.registerAssetRoute("/fresh.png", "brand/logo.png");
  return { status: 200, body: JSON.parse(routeRegistry.listAssets()) };
}
function list(context) {
  return { status: 200, body: JSON.parse(routeRegistry.listAssets()) };
}
function init(context) {
  routeRegistry.registerAssetRoute("/boot.png", "brand/logo.png");
  routeRegistry.registerRoute("/publish", "publish", "POST");
  routeRegistry.registerRoute("/publish/failing", "publishThenFail", "POST");
  routeRegistry.registerRoute("/publish/listed", "publishAndList", "POST");
  routeRegistry.registerRoute("/list", "list", "GET");
}
"""


@pytest.fixture
def publisher(upload, cast):
    from assets_app.api import save_upload

    assert upload("publisher", PUBLISHER).status_code == 201
    save_upload(cast["acme"], "brand/logo.png", IMAGE, "image/png")
    forget_sources()
    yield cast
    forget_sources()


def _publish(api, path, asset=None):
    query = f"?path={path}" + (f"&asset={asset}" if asset else "")
    reply = api(host=HOST).post("/publish" + query)
    assert reply.status_code == 200, reply.content
    return reply.content.decode()


def _routes(script="publisher"):
    return sorted(
        Route.objects.filter(script__name=script, kind="asset").values_list(
            "path", "resource"
        )
    )


def test_an_asset_route_registered_by_a_handler_is_stored_served_and_listed(
    publisher, api
):
    said = _publish(api, "/late.png")

    assert said == "Asset route registered: /late.png -> brand/logo.png"
    assert _routes() == [
        ("/boot.png", "brand/logo.png"),
        ("/late.png", "brand/logo.png"),
    ]
    assert Script.objects.get(name="publisher").registrations["assets"] == [
        {"path": "/boot.png", "asset": "brand/logo.png"},
        {"path": "/late.png", "asset": "brand/logo.png"},
    ]
    forget_sources()  # as after a restart
    assert json.loads(api(host=HOST).get("/list").content) == [
        "/boot.png",
        "/late.png",
    ]
    served = api(host=HOST).get("/late.png")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert (
        b"".join(served.streaming_content if served.streaming else [served.content])
        == IMAGE
    )


def test_the_same_invocation_lists_its_new_route(publisher, api):
    reply = api(host=HOST).post("/publish/listed")

    assert reply.json() == ["/boot.png", "/fresh.png"]


def test_registering_it_again_keeps_one(publisher, api):
    assert _publish(api, "/late.png").startswith("Asset route registered")
    assert _publish(api, "/late.png").startswith("Asset route registered")

    assert len(_routes()) == 2


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("late.png", "Error: path must start with '/': late.png"),
        (
            "/system/late.png",
            "Error: asset route /system/late.png: the path is the platform's (reserved)",
        ),
        ("/list", "Error: path /list is already a GET route in this script"),
        (
            "/boot.png",
            "Error: asset route /boot.png: the script already serves asset "
            "'brand/logo.png' there; upload the script to change it",
        ),
    ],
)
def test_a_route_the_platform_would_not_take_is_an_error_string(
    publisher, api, path, answer
):
    asset = "other.png" if path == "/boot.png" else None

    assert _publish(api, path, asset) == answer
    assert _routes() == [("/boot.png", "brand/logo.png")]


def test_another_scripts_path_stays_with_it(publisher, api, upload):
    upload(
        "owner",
        'function h() { return "h"; }\nrouteRegistry.registerRoute("/x.png", "h");',
    )

    said = _publish(api, "/x.png")

    assert said == "Error: asset route /x.png: script 'owner' already serves it"
    assert _routes() == [("/boot.png", "brand/logo.png")]
    assert api(host=HOST).get("/x.png").content == b"h"


def test_an_invocation_that_fails_registers_nothing(publisher, api):
    failed = api(host=HOST).post("/publish/failing")

    assert failed.status_code == 500
    assert _routes() == [("/boot.png", "brand/logo.png")]


def test_the_next_upload_starts_from_its_init(publisher, api, upload):
    _publish(api, "/late.png")

    assert upload("publisher", PUBLISHER + "\n// v2\n").status_code == 200

    assert _routes() == [("/boot.png", "brand/logo.png")]
    assert api(host=HOST).get("/late.png").status_code == 404
