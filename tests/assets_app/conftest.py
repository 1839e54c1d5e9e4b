"""Asset fixtures: content in a temporary MEDIA_ROOT, capabilities, requests."""

import base64
import struct
import zlib

import httpx
import pytest

ALL = ["ReadAssets", "WriteAssets", "DeleteAssets"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Keep asset files of each test in a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(width=3, height=2, rgb=(200, 30, 60)) -> bytes:
    """Return a real PNG image of one colour."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def grant(cast):
    """Set a script's capabilities as an admin would: grant("name", "ReadAssets")."""
    from scripts_app.models import Script

    def set_capabilities(name, *capabilities, tenant="acme"):
        script = Script.objects.get(tenant=cast[tenant], name=name)
        script.capabilities = list(capabilities)
        script.save()

    return set_capabilities


@pytest.fixture
def script(upload, grant):
    """Upload a script to acme with capabilities; fail on a refused upload."""

    def put(name, source, capabilities=ALL):
        response = upload(name, source)
        assert response.status_code in (200, 201), response.content
        grant(name, *capabilities)

    return put


async def fetch(
    path, *, method="GET", headers=None, body=b"", django=False, host="acme.test"
):
    """Send a request through the ASGI fast path, or straight to Django."""
    from config.asgi import application, django_app

    transport = httpx.ASGITransport(app=django_app if django else application)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{host}"
    ) as client:
        return await client.request(method, path, headers=headers or {}, content=body)
