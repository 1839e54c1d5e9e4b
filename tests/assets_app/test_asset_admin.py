"""Admin: capabilities on the script page; asset upload, download and delete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assets_app.models import Asset
from scripts_app.models import Script
from tests.assets_app.conftest import png
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db

IMAGE = png()


@pytest.fixture
def admin_client(cast):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def test_an_admin_grants_capabilities_on_the_script_page(admin_client, upload, cast):
    assert upload("site", "function h() { return 1; }").status_code == 201
    script = Script.objects.get(tenant=cast["acme"], name="site")
    page = f"/system/admin/scripts_app/script/{script.pk}/change/"

    shown = admin_client.get(page)
    saved = admin_client.post(
        page,
        {
            "source": script.source,
            "enabled": "on",
            "capabilities": ["ReadAssets", "DeleteAssets"],
            "routes-TOTAL_FORMS": "0",
            "routes-INITIAL_FORMS": "0",
        },
    )

    assert b'value="WriteAssets"' in shown.content
    assert saved.status_code == 302, saved.content.decode()[:2000]
    script.refresh_from_db()
    assert script.capabilities == ["ReadAssets", "DeleteAssets"]


def test_capabilities_are_readable_but_not_writable_over_rest(api, upload, cast):
    assert upload("site", "function h() { return 1; }").status_code == 201
    Script.objects.filter(name="site").update(capabilities=["ReadAssets"])

    shown = api("alice").get("/system/api/scripts/site").json()

    assert shown["capabilities"] == ["ReadAssets"]


def test_an_admin_uploads_downloads_and_deletes_an_asset(admin_client, cast):
    file = SimpleUploadedFile("logo.png", IMAGE, content_type="image/png")
    added = admin_client.post(
        "/system/admin/assets_app/asset/add/",
        {"tenant": cast["acme"].pk, "upload": file, "name": "", "mimetype": ""},
    )
    asset = Asset.objects.get(tenant=cast["acme"])
    downloaded = admin_client.get(
        f"/system/admin/assets_app/asset/{asset.pk}/download/"
    )
    deleted = admin_client.post(
        f"/system/admin/assets_app/asset/{asset.pk}/delete/", {"post": "yes"}
    )

    assert added.status_code == 302, added.content.decode()[:2000]
    assert (asset.name, asset.mimetype, asset.size) == (
        "logo.png",
        "image/png",
        len(IMAGE),
    )
    assert downloaded.content == IMAGE
    assert deleted.status_code == 302
    assert not Asset.objects.exists()


def test_the_admin_refuses_an_invalid_name(admin_client, cast):
    file = SimpleUploadedFile("logo.png", IMAGE, content_type="image/png")
    page = admin_client.post(
        "/system/admin/assets_app/asset/add/",
        {"tenant": cast["acme"].pk, "upload": file, "name": "a\\b", "mimetype": ""},
    )

    assert page.status_code == 200
    assert b"must not contain" in page.content
    assert not Asset.objects.exists()
