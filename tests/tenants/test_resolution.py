"""A request finds its tenant by Host, else /t/<slug>/, else the default (R13)."""

import pytest

from tenants.resolve import host_without_port
from tests.scripts_app.test_routing_http import Caller

WHERE = """
function where(context) {
  return { status: 200, body: { tenant: context.tenant.id, path: context.request.path } };
}
routeRegistry.registerRoute("/where", "where", "GET");
routeRegistry.registerRoute("/deep/:x", "where", "GET");
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["fast path", "django view"])
def send(request, upload):
    """Upload `where` to acme, globex and the default tenant."""
    for user, host in [
        ("alice", "acme.test"),
        ("erin", "globex.test"),
        ("root", "localhost"),
    ]:
        response = upload("where", WHERE, user=user, host=host)
        assert response.status_code == 201, response.content
    return Caller(request.param)


@pytest.mark.parametrize("host", ["acme.test", "ACME.Test", "acme.test:8000"])
async def test_host_header_picks_the_tenant_whatever_its_case_or_port(send, host):
    r = await send("GET", "/where", host=host)
    assert r.json() == {"tenant": "acme", "path": "/where"}


async def test_path_prefix_picks_the_tenant_and_is_stripped(send):
    r = await send("GET", "/t/globex/deep/1", host="unknown.test")
    assert r.json() == {"tenant": "globex", "path": "/deep/1"}


async def test_unknown_prefix_slug_is_404_in_the_error_shape(send):
    r = await send("GET", "/t/nobody/where", host="unknown.test")
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "code": "unknown_tenant",
            "message": "No tenant named 'nobody'.",
            "requestId": r.headers["x-request-id"],
        }
    }


async def test_unclaimed_host_without_prefix_falls_back_to_the_default_tenant(send):
    r = await send("GET", "/where", host="unknown.test")
    assert r.json() == {"tenant": "default", "path": "/where"}


async def test_host_match_wins_over_a_path_prefix(send):
    # The prefix is not read on a tenant's own host: the path stays as sent,
    # and /t/ is reserved, so nothing of globex is reachable from acme.test.
    r = await send("GET", "/t/globex/where", host="acme.test")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "not_found",
        "message": "No route for /t/globex/where",
        "requestId": r.headers["x-request-id"],
    }


def test_api_under_a_prefix_reaches_that_tenant(db, api, upload):
    assert upload("where", WHERE, user="erin", host="globex.test").status_code == 201
    r = api("erin", host="unknown.test").get("/t/globex/system/scripts")
    assert r.status_code == 200
    assert [s["id"] for s in r.json()] == ["where"]


@pytest.mark.parametrize(
    ("host", "bare"),
    [
        ("Acme.Test:8080", "acme.test"),
        ("acme.test", "acme.test"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("", ""),
    ],
)
def test_host_without_port_lower_cases_and_drops_the_port(host, bare):
    assert host_without_port(host) == bare
