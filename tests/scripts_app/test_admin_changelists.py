"""Every admin list and form a superuser opens renders."""

import pytest
from django.test import Client

from scripts_app.models import Script
from scripts_app.records import buffer
from tests.cast import PASSWORD
from tests.conftest import HELLO


@pytest.fixture
def admin_client(cast, upload, api, records):
    """Log root in, with a script, a version, a log entry and an execution."""
    buffer().clear()  # rows other tests queued point at rolled-back tenants
    upload("hello", HELLO)
    api(host="acme.test").get("/hello?name=admin")
    records()
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/system/admin/", b"Scripts"),
        ("/system/admin/scripts_app/script/", b"hello"),
        ("/system/admin/scripts_app/scriptversion/", b"acme/hello v1"),
        ("/system/admin/scripts_app/logentry/", b"hello admin"),
        ("/system/admin/scripts_app/execution/", b"GET /hello"),
        ("/system/admin/tenants/tenant/", b"globex.test"),
        ("/system/admin/tenants/membership/", b"charlie"),
        ("/system/admin/scripts_app/script/add/", b'name="source"'),
        ("/system/admin/tenants/tenant/add/", b'name="domains"'),
    ],
)
def test_admin_page_renders(admin_client, path, expected):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert expected in response.content


def test_script_change_page_shows_source_and_routes(admin_client):
    script = Script.objects.get(name="hello")
    response = admin_client.get(f"/system/admin/scripts_app/script/{script.pk}/change/")
    assert response.status_code == 200
    assert b"routeRegistry.registerRoute" in response.content
    assert b"/hello" in response.content


def test_version_and_execution_detail_pages_render(admin_client):
    script = Script.objects.get(name="hello")
    version = script.versions.get()
    execution = script.executions.get()
    for path in (
        f"/system/admin/scripts_app/scriptversion/{version.pk}/change/",
        f"/system/admin/scripts_app/execution/{execution.pk}/change/",
        f"/system/admin/tenants/tenant/{script.tenant.pk}/change/",
    ):
        assert admin_client.get(path).status_code == 200


def test_records_cannot_be_added_by_hand(admin_client):
    for model in ("scriptversion", "logentry", "execution"):
        assert (
            admin_client.get(f"/system/admin/scripts_app/{model}/add/").status_code
            == 403
        )
