"""Who may read and write /system/api/: anonymous, non-members, viewers, writers, tenants."""

import pytest
from rest_framework.test import APIClient

from scripts_app.models import Script
from tests.cast import PASSWORD
from tests.conftest import HELLO

READS = [
    "/system/api/scripts",
    "/system/api/scripts/hello",
    "/system/api/scripts/hello/versions",
    "/system/api/logs",
    "/system/api/executions",
]


def _writes(client):
    yield client.post(
        "/system/api/scripts", {"id": "new", "source": "var a;"}, format="json"
    )
    yield client.put("/system/api/scripts/hello", {"source": "var b;"}, format="json")
    yield client.delete("/system/api/scripts/hello")


def _assert_untouched():
    script = Script.objects.get(name="hello")
    assert (script.version, script.source) == (1, HELLO)
    assert not Script.objects.filter(name="new").exists()


@pytest.mark.parametrize("path", READS)
def test_anonymous_gets_401_with_a_token_challenge(api, upload, path):
    upload("hello", HELLO)
    response = api().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_anonymous_writes_get_401(api, upload):
    upload("hello", HELLO)
    assert [r.status_code for r in _writes(api())] == [401, 401, 401]
    _assert_untouched()


@pytest.mark.parametrize("path", READS)
def test_user_without_a_role_gets_403_on_reads(api, upload, path):
    upload("hello", HELLO)
    response = api("dave").get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_user_without_a_role_gets_403_on_writes(api, upload):
    upload("hello", HELLO)
    assert [r.status_code for r in _writes(api("dave"))] == [403, 403, 403]
    _assert_untouched()


@pytest.mark.parametrize("path", READS)
def test_viewer_can_read(api, upload, path):
    upload("hello", HELLO)
    assert api("charlie").get(path).status_code == 200


def test_viewer_cannot_write(api, upload):
    upload("hello", HELLO)
    responses = list(_writes(api("charlie")))
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert all("Viewers" in r.json()["error"]["message"] for r in responses)
    _assert_untouched()


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_owner_and_developer_can_write(api, upload, user):
    upload("hello", HELLO)
    assert [r.status_code for r in _writes(api(user))] == [201, 200, 204]


def test_superuser_writes_in_any_tenant(api):
    for host in ("acme.test", "globex.test"):
        created = api("root", host).post(
            "/system/api/scripts", {"id": "x", "source": "var a;"}, format="json"
        )
        assert created.status_code == 201
    assert sorted(Script.objects.values_list("tenant__slug", flat=True)) == [
        "acme",
        "globex",
    ]


def test_globex_owner_cannot_reach_acme_scripts(api, upload):
    upload("hello", HELLO)
    erin_at_acme = api("erin", "acme.test")
    assert erin_at_acme.get("/system/api/scripts").status_code == 403
    assert [r.status_code for r in _writes(erin_at_acme)] == [403, 403, 403]
    erin_at_home = api("erin", "globex.test")
    assert erin_at_home.get("/system/api/scripts").json() == []
    assert erin_at_home.get("/system/api/scripts/hello").status_code == 404
    assert erin_at_home.delete("/system/api/scripts/hello").status_code == 404
    _assert_untouched()


def test_session_authentication_reads_and_needs_csrf_to_write(cast):
    client = APIClient(HTTP_HOST="acme.test", enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    assert client.get("/system/api/scripts").status_code == 200
    refused = client.post(
        "/system/api/scripts", {"id": "s", "source": "var a;"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    client.get("/system/admin/login/")  # sets the csrftoken cookie
    accepted = client.post(
        "/system/api/scripts",
        {"id": "s", "source": "var a;"},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201, accepted.content
