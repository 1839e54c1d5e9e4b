"""The context a route handler receives (R10), for anonymous and token callers."""

import uuid

import pytest

from tests.scripts_app.test_routing_http import Caller

WHO = """
function who(context) {
  return {
    status: 200,
    body: {
      kind: context.kind,
      tenant: context.tenant,
      script: context.script,
      execution: context.execution,
      meta: context.meta,
      user: context.user,
      auth: context.request.auth,
      sameAuth: context.auth === context.request.auth,
      shortcutQuery: context.query,
      params: context.params,
    },
  };
}
routeRegistry.registerRoute("/who/:part", "who", "GET");
routeRegistry.registerRoute("/who/:part", "who", "POST");
"""

ANONYMOUS = {
    "isAuthenticated": False,
    "userId": None,
    "userName": None,
    "userEmail": None,
    "isAdmin": False,
}


@pytest.fixture
def who(upload):
    response = upload("who", WHO)
    assert response.status_code == 201, response.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["fast path", "django view"])
async def test_anonymous_context_has_tenant_script_execution_and_meta(who, path):
    r = await Caller(path)(
        "GET", "/who/x?q=1", headers={"X-Request-Id": "abcdefgh-1234"}
    )
    body = r.json()
    assert body["kind"] == "http"
    assert body["tenant"] == {"id": "acme", "name": "Acme"}
    assert body["script"] == {
        "id": "who",
        "name": "who",
        "type": "http",
        "capabilities": [],
    }
    assert uuid.UUID(body["execution"]["id"])
    assert body["execution"]["triggeredBy"] == "http"
    assert body["meta"] == {
        "requestId": "abcdefgh-1234",
        "route": "/who/:part",
        "baseUrl": "http://acme.test",
    }
    assert body["auth"] == ANONYMOUS
    assert body["user"] is None


@pytest.mark.django_db(transaction=True)
async def test_request_fields_are_readable_on_the_context_itself(who):
    body = (await Caller("fast path")("GET", "/who/x?q=1")).json()
    assert body["sameAuth"] is True
    assert body["shortcutQuery"] == {"q": "1"}
    assert body["params"] == {"part": "x"}


@pytest.mark.django_db(transaction=True)
async def test_each_call_gets_its_own_execution_id(who):
    send = Caller("fast path")
    first = (await send("GET", "/who/a")).json()["execution"]["id"]
    second = (await send("GET", "/who/a")).json()["execution"]["id"]
    assert first != second


@pytest.mark.parametrize(
    ("name", "is_admin"),
    [("alice", True), ("bob", False), ("charlie", False), ("dave", False)],
)
def test_token_caller_is_authenticated_with_name_and_admin_flag(
    db, who, api, cast, name, is_admin
):
    body = api(name).get("/who/x").json()
    user = cast[name]
    assert body["auth"] == {
        "isAuthenticated": True,
        "userId": str(user.pk),
        "userName": name,
        "userEmail": f"{name}@example.com",
        "isAdmin": is_admin,
    }
    assert body["user"] == {
        "id": str(user.pk),
        "email": f"{name}@example.com",
        "name": name,
        "permissions": body["user"][
            "permissions"
        ],  # tests/scripts_app/test_context_user
    }


def test_superuser_is_admin_in_every_tenant(db, who, api):
    body = api("root").get("/who/x").json()
    assert body["auth"]["isAdmin"] is True


def test_owner_of_another_tenant_is_not_admin_here(db, who, api):
    body = api("erin").get("/who/x").json()
    assert body["auth"]["isAuthenticated"] is True
    assert body["auth"]["isAdmin"] is False


def test_unknown_token_is_401_in_the_error_shape(db, who, api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = client.get("/who/x")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    assert r.json()["error"]["requestId"] == r.headers["X-Request-Id"]


def test_token_keyword_is_case_insensitive(db, who, api, cast):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"token {cast['tokens']['bob']}")
    assert client.get("/who/x").json()["auth"]["userName"] == "bob"


def test_session_caller_posting_without_csrf_token_is_refused(db, who, cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, headers={"host": "acme.test"})
    client.force_login(cast["bob"])
    assert client.get("/who/x").json()["auth"]["userName"] == "bob"
    r = client.post("/who/x", data=b"{}", content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
