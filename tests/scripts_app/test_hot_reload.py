"""An upload, delete or disable takes effect on the very next request (R2)."""

import httpx
import pytest
from asgiref.sync import sync_to_async

from scripts_app.engines import engine
from scripts_app.models import Script

pytestmark = pytest.mark.django_db(transaction=True)


def version(label, path="/version"):
    return f"""
function v() {{ return "{label}"; }}
routeRegistry.registerRoute("{path}", "v", "GET");
"""


@pytest.fixture(autouse=True)
def _no_periodic_refresh(settings):
    # Only the change itself may make the new state visible, not a timed poll.
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 3600}


@pytest.fixture(params=["fast path", "django"])
def get(request, cast):
    """GET a path on acme.test through the full ASGI app or Django's alone."""
    from config.asgi import application, django_app

    app = application if request.param == "fast path" else django_app

    async def send(path):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://acme.test"
        ) as client:
            return await client.get(path)

    return send


@pytest.fixture
def put(upload):
    async def put(source):
        return (await sync_to_async(upload)("live", source)).status_code

    return put


async def test_new_version_answers_the_very_next_request(get, put):
    assert await put(version("v1")) == 201
    assert (await get("/version")).text == "v1"
    script = await Script.objects.aget(name="live")
    assert (script.id, 1) in engine()  # warm
    assert await put(version("v2")) == 200
    assert (await get("/version")).text == "v2"
    assert (script.id, 1) not in engine()
    assert (script.id, 2) in engine()


async def test_route_moved_by_a_new_version_moves_at_once(get, put):
    assert await put(version("v1", path="/old")) == 201
    assert (await get("/old")).status_code == 200
    assert await put(version("v2", path="/new")) == 200
    assert (await get("/old")).status_code == 404
    assert (await get("/new")).text == "v2"


async def test_rejected_upload_leaves_the_live_version_serving(get, put):
    assert await put(version("v1")) == 201
    assert (await get("/version")).text == "v1"
    assert await put("function v( {") == 400
    assert (await get("/version")).text == "v1"


async def test_deleted_script_route_is_404_at_once(get, put, api):
    assert await put(version("v1")) == 201
    assert (await get("/version")).status_code == 200
    deleted = await sync_to_async(api("alice").delete)("/system/scripts/live")
    assert deleted.status_code == 204
    r = await get("/version")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_disabled_script_route_is_404_and_serves_again_when_enabled(get, put):
    assert await put(version("v1")) == 201
    assert (await get("/version")).status_code == 200
    script = await Script.objects.aget(name="live")
    script.enabled = False
    await script.asave()
    assert (await get("/version")).status_code == 404
    script.enabled = True
    await script.asave()
    assert (await get("/version")).text == "v1"
