"""PUT /system/api/scripts/<id>/capabilities: owners grant, others only read."""

import pytest

from scripts_app.models import Script

pytestmark = pytest.mark.django_db

URL = "/system/api/scripts/site/capabilities"


@pytest.fixture
def site(upload):
    assert upload("site", "function h() { return 1; }").status_code == 201


@pytest.mark.parametrize("user", ["alice", "root"])
def test_an_owner_grants_capabilities(api, site, user):
    body = {"capabilities": ["WriteAssets", "ReadAssets", "WriteAssets"]}
    reply = api(user).put(URL, body, format="json")

    assert reply.status_code == 200
    assert reply.json() == {"capabilities": ["ReadAssets", "WriteAssets"]}
    assert Script.objects.get(name="site").capabilities == ["ReadAssets", "WriteAssets"]
    assert api("charlie").get("/system/api/scripts/site").json()["capabilities"] == [
        "ReadAssets",
        "WriteAssets",
    ]


@pytest.mark.parametrize(("user", "status"), [("bob", 403), ("charlie", 403)])
def test_developers_and_viewers_cannot_grant(api, site, user, status):
    reply = api(user).put(URL, {"capabilities": ["ReadAssets"]}, format="json")

    assert reply.status_code == status
    assert Script.objects.get(name="site").capabilities == []


def test_an_unknown_capability_is_refused(api, site):
    reply = api("alice").put(URL, {"capabilities": ["Root"]}, format="json")

    assert reply.status_code == 400
    assert "Root" in reply.json()["error"]["message"]
