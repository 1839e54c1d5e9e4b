"""Helpers for the stream tests (not the dispatcher's): upload, call, read rows."""

import httpx

from scripts_app.models import LogEntry
from streams_app.directory import streams
from streams_app.models import StreamMessage


def put(upload, name, source, host="acme.test"):
    """Upload `source` as `name`; fail the test if it is refused."""
    owner = "erin" if host == "globex.test" else "alice"
    response = upload(name, source, user=owner, host=host)
    assert response.status_code in (200, 201), response.content
    return response


def forget_streams():
    """Empty the stream directory: ids come back after each test's rollback."""
    streams().invalidate()
    streams().streams = {}


def messages(path, tenant=None):
    rows = StreamMessage.objects.filter(path=path)
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    return list(rows.order_by("id"))


def logs(script, level=None):
    entries = LogEntry.objects.filter(script_name=script)
    if level:
        entries = entries.filter(level=level)
    return list(entries)


def asgi_client(host="acme.test", headers=None):
    """An httpx client on the whole ASGI application, in this process.

    httpx's ASGI transport reads a whole response before returning, so it
    suits answers that end (errors, HEAD), not open streams (tests/e2e).
    """
    from config.asgi import application

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application),
        base_url=f"http://{host}",
        headers=headers or {},
    )
