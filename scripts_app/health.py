"""GET /health: 200 with JSON once the database and the engine answer."""

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import JsonResponse

from engine import ScriptSource
from scripts_app.engines import engine


def _ping_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def health(request):
    checks = {}
    try:
        await sync_to_async(_ping_database)()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        outcome = await engine().analyze(ScriptSource("1 + 1", "health.js", {}))
        checks["engine"] = "ok" if outcome.ok else f"error: {outcome.error.message}"
    except Exception as exc:  # noqa: BLE001
        checks["engine"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
