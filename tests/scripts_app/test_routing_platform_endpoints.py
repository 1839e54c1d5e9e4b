"""Platform endpoints behind the router: GET /health."""

import httpx
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path):
    from config.asgi import application

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://any.test"
    ) as client:
        return await client.get(path)


async def test_health_is_200_json_when_database_and_engine_answer():
    r = await get("/health")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "ok", "checks": {"database": "ok", "engine": "ok"}}


async def test_health_is_503_naming_the_engine_when_it_fails(monkeypatch):
    from scripts_app import health

    def broken():
        raise RuntimeError("no V8 here")

    monkeypatch.setattr(health, "engine", broken)
    r = await get("/health")
    assert r.status_code == 503
    assert r.json() == {
        "status": "error",
        "checks": {"database": "ok", "engine": "error: RuntimeError"},
    }


async def test_a_script_cannot_shadow_health(upload, cast):
    from asgiref.sync import sync_to_async

    source = (
        'function h() { return "mine"; }\nrouteRegistry.registerRoute("/health", "h");'
    )
    response = await sync_to_async(upload)("shadow", source)
    # Stored without the route (issue 13: a warning, not a refusal).
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "route GET /health: the path is the platform's (reserved)"
    ]
    assert (await get("/health")).json()["status"] == "ok"
