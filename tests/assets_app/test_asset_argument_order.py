"""upsertAsset also reads the reference implementation's order, and its first API works."""

import json

import pytest

from tests.assets_app.conftest import b64, fetch

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function put(c) {
  const b = JSON.parse(c.request.body);
  return assetStorage.upsertAsset(b.name, b.second, b.third);
}
function get(c) { return assetStorage.fetchAsset(c.query.name); }
function list(c) { return { status: 200, body: JSON.parse(assetStorage.listAssets()) }; }
routeRegistry.registerRoute("/put", "put", "POST");
routeRegistry.registerRoute("/get", "get", "GET");
routeRegistry.registerRoute("/list", "list", "GET");
"""


@pytest.fixture
def assets(script):
    script("assets", SOURCE)


async def put(name, second, third):
    body = {"name": name, "second": second, "third": third}
    return await fetch("/put", method="POST", body=json.dumps(body).encode())


async def listed():
    return {a["name"]: a["mimetype"] for a in (await fetch("/list")).json()}


async def test_the_reference_order_stores_the_content_and_its_mimetype(assets):
    css = b"body { color: #333; }"

    saved = await put("test-styles.css", "text/css", b64(css))

    assert saved.text == "Asset 'test-styles.css' saved successfully"
    assert (await fetch("/get?name=test-styles.css")).text == b64(css)
    assert await listed() == {"test-styles.css": "text/css"}


async def test_the_seed_order_is_read_as_before(assets):
    saved = await put("hello.txt", b64(b"hello"), "text/plain")

    assert saved.text == "Asset 'hello.txt' saved successfully"
    assert (await fetch("/get?name=hello.txt")).text == b64(b"hello")
    assert await listed() == {"hello.txt": "text/plain"}


async def test_content_that_also_reads_as_a_mimetype_keeps_the_seed_order(assets):
    # "text/abc" is valid base64 too: with a MIME type last, the seed's order
    # is the only reading, whatever the middle argument looks like.
    saved = await put("odd.bin", "text/abc", "application/octet-stream")

    assert saved.text == "Asset 'odd.bin' saved successfully"
    assert (await fetch("/get?name=odd.bin")).text == "text/abc"
    assert await listed() == {"odd.bin": "application/octet-stream"}


async def test_a_call_neither_order_fits_is_refused_as_the_seed_reads_it(assets):
    refused = await put("bad.css", "text/css", "not base64!")

    # Read the seed's way, "not base64!" is the MIME type.
    assert refused.text == (
        "Error: mimetype must be a MIME type such as image/png or text/css"
    )
    assert await listed() == {}


FIRST_API = """
function upload(c) {
  return upsertAsset("first.css", "text/css", btoa("p { color: red; }"));
}
registerPublicAsset("/first/style.css", "first.css");
routeRegistry.registerRoute("/first/upload", "upload", "POST");
"""


@pytest.fixture
def first_api(script):
    script("first-api", FIRST_API)


@pytest.fixture
def first_api_read_only(script):
    script("first-api", FIRST_API, capabilities=["ReadAssets"])


async def test_the_first_apis_upsert_asset_and_register_public_asset_serve_it(
    first_api,
):
    saved = await fetch("/first/upload", method="POST")
    served = await fetch("/first/style.css")

    assert saved.text == "Asset 'first.css' saved successfully"
    assert (served.status_code, served.text) == (200, "p { color: red; }")
    assert served.headers["content-type"] == "text/css"


async def test_the_first_apis_upsert_asset_needs_write_assets_too(
    first_api_read_only,
):
    refused = await fetch("/first/upload", method="POST")

    assert refused.status_code == 500
    assert "upsertAsset needs the WriteAssets capability" in refused.text
    assert (await fetch("/first/style.css")).status_code == 404
