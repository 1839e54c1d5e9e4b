"""Who may use /graphql: the REST API's authentication, roles and tenants."""

import pytest
from rest_framework.test import APIClient

from scripts_app.models import Script
from tests.cast import PASSWORD
from tests.conftest import HELLO
from tests.graphql_app.conftest import DELETE, SCRIPT, SCRIPTS, UPSERT

CHANGED = HELLO + "\n// changed\n"


def _writes(graphql, **who):
    return [
        graphql(UPSERT, {"uri": "hello", "content": CHANGED}, **who),
        graphql(UPSERT, {"uri": "fresh", "content": "var f = 1;"}, **who),
        graphql(DELETE, {"uri": "hello"}, **who),
    ]


def _assert_untouched():
    script = Script.objects.get(tenant__slug="acme", name="hello")
    assert (script.version, script.source) == (1, HELLO)
    assert not Script.objects.filter(name="fresh").exists()


def _only_error(response, field):
    """Assert the response is one GraphQL error on `field`; return it."""
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {field: None}
    (error,) = body["errors"]
    assert error["path"] == [field]
    return error


@pytest.mark.parametrize(
    ("query", "field"),
    [(SCRIPTS, "scripts"), (SCRIPT, "script")],
)
def test_anonymous_reads_get_authentication_required(graphql, upload, query, field):
    upload("hello", HELLO)

    error = _only_error(graphql(query, {"uri": "hello"}, user=None), field)

    assert error["message"].startswith("Authentication required")
    assert error["extensions"]["code"] == "not_authenticated"


def test_anonymous_writes_are_refused_and_change_nothing(graphql, upload):
    upload("hello", HELLO)

    responses = _writes(graphql, user=None)

    fields = ["upsertScript", "upsertScript", "deleteScript"]
    for response, field in zip(responses, fields, strict=True):
        error = _only_error(response, field)
        assert error["message"].startswith("Authentication required")
    _assert_untouched()


def test_an_invalid_token_gets_401_like_the_rest_api(graphql, api, cast):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post("/graphql", {"query": SCRIPTS}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    rest = client.get("/system/api/scripts").json()["error"]
    (error,) = response.json()["errors"]
    assert error["message"] == rest["message"]
    assert error["extensions"]["code"] == "not_authenticated"
    assert error["extensions"]["requestId"] == response["X-Request-Id"]


def test_a_user_without_a_role_is_told_so(graphql, upload):
    upload("hello", HELLO)

    read = _only_error(graphql(SCRIPTS, user="dave"), "scripts")
    writes = _writes(graphql, user="dave")

    assert read["message"] == "You are not a member of this tenant."
    assert read["extensions"]["code"] == "permission_denied"
    for response in writes:
        assert "not a member" in response.json()["errors"][0]["message"]
    _assert_untouched()


def test_a_viewer_reads_scripts_and_their_content(graphql, upload):
    upload("hello", HELLO)

    listing = graphql(SCRIPTS, user="charlie").json()
    script = graphql(SCRIPT, {"uri": "hello"}, user="charlie").json()

    assert listing == {"data": {"scripts": [{"uri": "hello", "chars": len(HELLO)}]}}
    assert script["data"]["script"]["content"] == HELLO


def test_a_viewer_cannot_write_and_is_told_why(graphql, upload):
    upload("hello", HELLO)

    responses = _writes(graphql, user="charlie")

    fields = ["upsertScript", "upsertScript", "deleteScript"]
    for response, field in zip(responses, fields, strict=True):
        error = _only_error(response, field)
        assert error["message"] == (
            "Viewers may read but not change anything in this tenant."
        )
        assert error["extensions"]["code"] == "permission_denied"
    _assert_untouched()


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_owners_and_developers_create_update_and_delete(graphql, user):
    def upsert(content):
        response = graphql(UPSERT, {"uri": "hello", "content": content}, user=user)
        return response.json()["data"]["upsertScript"]

    assert upsert(HELLO)["message"] == "Script created"
    assert upsert(CHANGED)["message"] == "Script updated"
    deleted = graphql(DELETE, {"uri": "hello"}, user=user).json()
    assert deleted["data"]["deleteScript"]["success"] is True
    assert not Script.objects.filter(name="hello").exists()


@pytest.mark.parametrize("host", ["acme.test", "globex.test"])
def test_a_superuser_writes_in_any_tenant(graphql, cast, host):
    response = graphql(
        UPSERT, {"uri": "hello", "content": HELLO}, user="root", host=host
    )

    assert response.json()["data"]["upsertScript"]["success"] is True
    tenant = cast["acme"] if host == "acme.test" else cast["globex"]
    assert Script.objects.get(name="hello").tenant == tenant


def test_an_owner_of_another_tenant_cannot_see_or_change_acme(graphql, upload):
    upload("hello", HELLO)

    read = _only_error(graphql(SCRIPTS, user="erin"), "scripts")
    writes = _writes(graphql, user="erin")

    assert read["message"] == "You are not a member of this tenant."
    assert all(
        r.json()["data"] in ({"upsertScript": None}, {"deleteScript": None})
        for r in writes
    )
    _assert_untouched()


def test_another_tenants_scripts_are_invisible_and_untouchable(graphql, upload):
    upload("hello", HELLO)
    upload("globex-only", "var g = 1;\n", user="erin", host="globex.test")
    erin = {"user": "erin", "host": "globex.test"}

    listing = graphql(SCRIPTS, **erin).json()["data"]["scripts"]
    script = graphql(SCRIPT, {"uri": "hello"}, **erin).json()["data"]["script"]
    deleted = graphql(DELETE, {"uri": "hello"}, **erin).json()["data"]
    created = graphql(UPSERT, {"uri": "hello", "content": "var x = 2;"}, **erin)

    assert [s["uri"] for s in listing] == ["globex-only"]
    assert script is None
    assert deleted["deleteScript"]["code"] == "not_found"
    assert created.json()["data"]["upsertScript"]["message"] == "Script created"
    _assert_untouched()  # acme's hello is another script
    assert Script.objects.get(tenant__slug="globex", name="hello").version == 1


def test_a_session_reads_with_get_without_a_csrf_token(upload, cast):
    upload("hello", HELLO)
    client = APIClient(HTTP_HOST="acme.test", enforce_csrf_checks=True)
    assert client.login(username="charlie", password=PASSWORD)

    response = client.get(
        "/graphql", {"query": "{ scripts { uri } }"}, HTTP_ACCEPT="application/json"
    )

    assert response.json() == {"data": {"scripts": [{"uri": "hello"}]}}


def test_a_session_post_needs_the_csrf_token(upload, cast):
    upload("hello", HELLO)
    client = APIClient(HTTP_HOST="acme.test", enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    body = {"query": UPSERT, "variables": {"uri": "hello", "content": CHANGED}}

    refused = client.post("/graphql", body, format="json")

    assert refused.status_code == 403
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "csrf_failed"
    assert "X-CSRFToken" in error["message"]
    _assert_untouched()

    client.get("/system/admin/login/")  # sets the csrftoken cookie
    accepted = client.post(
        "/graphql",
        body,
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )

    assert accepted.json()["data"]["upsertScript"]["message"] == "Script updated"
    assert Script.objects.get(name="hello").version == 2


def test_token_clients_need_no_csrf_token(api, cast):
    client = api("alice")
    client.handler.enforce_csrf_checks = True

    response = client.post(
        "/graphql",
        {"query": UPSERT, "variables": {"uri": "hello", "content": HELLO}},
        format="json",
    )

    assert response.json()["data"]["upsertScript"]["success"] is True


def test_a_session_form_post_may_carry_the_csrf_token_in_the_form(upload, cast):
    upload("hello", HELLO)
    client = APIClient(HTTP_HOST="acme.test", enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    client.get("/system/admin/login/")  # sets the csrftoken cookie
    form = {
        "query": 'mutation { deleteScript(uri: "hello") { success } }',
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }

    response = client.post("/graphql", form)  # multipart, as a browser form sends

    assert response.json() == {"data": {"deleteScript": {"success": True}}}
    assert not Script.objects.filter(name="hello").exists()
