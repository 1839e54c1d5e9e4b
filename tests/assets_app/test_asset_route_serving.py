"""Asset routes over HTTP: type, ETag, Last-Modified, 304 and Range, on both paths."""

import hashlib

import pytest
from asgiref.sync import sync_to_async
from django.utils.http import http_date

from tests.assets_app.conftest import fetch, png

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE = png(40, 30)
SOURCE = """
routeRegistry.registerAssetRoute("/logo.png", "brand/logo.png");
routeRegistry.registerAssetRoute("/missing.png", "missing.png");
"""


def store(tenant, name, content, mimetype="image/png"):
    from assets_app.api import save_upload

    return save_upload(tenant, name, content, mimetype)[0]


@pytest.fixture
def asset(upload, cast):
    assert upload("site", SOURCE).status_code == 201
    return store(cast["acme"], "brand/logo.png", IMAGE)


@pytest.fixture(params=["fast path", "django view"])
def get(request):
    async def send(path, method="GET", **headers):
        return await fetch(
            path,
            method=method,
            headers={k.replace("_", "-"): v for k, v in headers.items()},
            django=request.param == "django view",
        )

    return send


ETAG = f'"{hashlib.sha256(IMAGE).hexdigest()}"'


async def test_the_asset_is_served_with_its_type_and_validators(asset, get):
    reply = await get("/logo.png")

    assert reply.status_code == 200
    assert reply.content == IMAGE
    assert reply.headers["content-type"] == "image/png"
    assert reply.headers["etag"] == ETAG
    assert reply.headers["last-modified"] == http_date(asset.updated_at.timestamp())
    assert reply.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize("tag", [ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*"])
async def test_a_matching_if_none_match_gets_304_without_a_body(asset, get, tag):
    reply = await get("/logo.png", If_None_Match=tag)

    assert reply.status_code == 304
    assert reply.content == b""
    assert reply.headers["etag"] == ETAG


async def test_a_stale_if_none_match_gets_the_content(asset, get):
    reply = await get("/logo.png", If_None_Match='"stale"')

    assert reply.status_code == 200
    assert reply.content == IMAGE


async def test_if_modified_since_gets_304_unless_the_asset_is_newer(asset, get):
    modified = asset.updated_at.timestamp()

    same = await get("/logo.png", If_Modified_Since=http_date(modified))
    older = await get("/logo.png", If_Modified_Since=http_date(modified - 60))

    assert same.status_code == 304
    assert older.status_code == 200


async def test_if_none_match_wins_over_if_modified_since(asset, get):
    modified = http_date(asset.updated_at.timestamp())

    reply = await get("/logo.png", If_None_Match='"stale"', If_Modified_Since=modified)

    assert reply.status_code == 200


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-3", 0, 3),
        ("bytes=10-", 10, len(IMAGE) - 1),
        ("bytes=-5", len(IMAGE) - 5, len(IMAGE) - 1),
        ("bytes=4-100000", 4, len(IMAGE) - 1),
    ],
)
async def test_a_range_gets_206_with_just_those_bytes(asset, get, header, first, last):
    reply = await get("/logo.png", Range=header)

    assert reply.status_code == 206
    assert reply.content == IMAGE[first : last + 1]
    assert reply.headers["content-range"] == f"bytes {first}-{last}/{len(IMAGE)}"


@pytest.mark.parametrize("header", [f"bytes={len(IMAGE)}-", "bytes=-0"])
async def test_an_unsatisfiable_range_gets_416_with_the_size(asset, get, header):
    reply = await get("/logo.png", Range=header)

    assert reply.status_code == 416
    assert reply.headers["content-range"] == f"bytes */{len(IMAGE)}"
    assert reply.json()["error"]["code"] == "range_not_satisfiable"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-3", "bytes=9-2"])
async def test_a_range_that_cannot_be_served_gets_the_whole_asset(asset, get, header):
    reply = await get("/logo.png", Range=header)

    assert reply.status_code == 200
    assert reply.content == IMAGE


async def test_if_range_with_another_version_gets_the_whole_asset(asset, get):
    stale = await get("/logo.png", Range="bytes=0-3", If_Range='"old"')
    fresh = await get("/logo.png", Range="bytes=0-3", If_Range=ETAG)

    assert (stale.status_code, len(stale.content)) == (200, len(IMAGE))
    assert (fresh.status_code, fresh.content) == (206, IMAGE[:4])


async def test_head_gets_the_headers_without_the_body(asset, get):
    reply = await get("/logo.png", method="HEAD")

    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["etag"] == ETAG


async def test_other_methods_get_405_naming_get_and_head(asset, get):
    reply = await get("/logo.png", method="POST")

    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD"


async def test_a_route_to_a_missing_asset_gets_404_naming_it(asset, get):
    reply = await get("/missing.png")

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "asset_not_found"
    assert "missing.png" in reply.json()["error"]["message"]


async def test_replacing_the_asset_changes_what_is_served_and_its_etag(
    asset, get, cast
):
    await sync_to_async(store)(
        cast["acme"], "brand/logo.png", b"<svg/>", "image/svg+xml"
    )

    reply = await get("/logo.png", If_None_Match=ETAG)

    assert reply.status_code == 200
    assert reply.content == b"<svg/>"
    assert reply.headers["content-type"] == "image/svg+xml"
    assert reply.headers["etag"] != ETAG


@pytest.fixture
def elsewhere(upload, cast):
    """The route in acme, the asset only in globex."""
    assert upload("site", SOURCE).status_code == 201
    store(cast["globex"], "brand/logo.png", IMAGE)


async def test_another_tenants_asset_of_the_same_name_is_not_served(elsewhere, get):
    reply = await get("/logo.png")

    assert reply.status_code == 404


def comparable(reply):
    skip = {"date"}
    headers = sorted((k, v) for k, v in reply.headers.multi_items() if k not in skip)
    return reply.status_code, reply.content, headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"If-None-Match": ETAG}, {"Range": "bytes=0-3"}, {"Range": "bytes=999999-"}],
)
async def test_the_fast_path_serves_asset_routes_itself_and_as_django_does(
    asset, monkeypatch, headers
):
    from config.asgi import script_routes

    handed_on = []
    inner = script_routes.django

    async def counting(scope, receive, send):
        handed_on.append(scope["path"])
        await inner(scope, receive, send)

    monkeypatch.setattr(script_routes, "django", counting)

    headers = {**headers, "X-Request-Id": "same-request-id"}
    fast = await fetch("/logo.png", headers=headers)
    slow = await fetch("/logo.png", headers=headers, django=True)

    assert handed_on == []
    assert comparable(fast) == comparable(slow)
