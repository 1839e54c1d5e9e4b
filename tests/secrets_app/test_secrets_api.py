"""REST /api/secrets: identifiers and times out, values only in, by role."""

import pytest

from secrets_app.models import Secret

VALUE = "sk-live-0123456789abcdef"


@pytest.fixture
def put(api):
    def send(identifier, value=VALUE, user="alice", host="acme.test"):
        return api(user, host).put(
            f"/api/secrets/{identifier}", {"value": value}, format="json"
        )

    return send


def test_put_creates_then_replaces_and_never_returns_the_value(put):
    created = put("api_key")
    replaced = put("api_key", "sk-live-replaced-value")

    assert created.status_code == 201 and replaced.status_code == 200
    assert set(created.json()) == {
        "identifier",
        "allowed_hosts",
        "created_at",
        "updated_at",
    }
    assert VALUE not in created.content.decode()
    assert "replaced" not in replaced.content.decode()
    assert Secret.objects.get(identifier="api_key").reveal() == "sk-live-replaced-value"


def test_list_and_retrieve_show_identifiers_and_times_only(api, put):
    put("api_key")
    put("other_key", "another-secret-value")

    listed = api("charlie").get("/api/secrets")
    one = api("charlie").get("/api/secrets/api_key")

    assert [s["identifier"] for s in listed.json()] == ["api_key", "other_key"]
    assert one.json()["identifier"] == "api_key"
    for reply in (listed, one):
        body = reply.content.decode()
        assert VALUE not in body and "another-secret-value" not in body
        assert "ciphertext" not in body


def test_post_creates_and_refuses_an_existing_identifier(api):
    first = api("bob").post(
        "/api/secrets", {"identifier": "token", "value": VALUE}, format="json"
    )
    again = api("bob").post(
        "/api/secrets", {"identifier": "token", "value": VALUE}, format="json"
    )

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "secret_exists"
    assert "PUT /api/secrets/token" in again.json()["error"]["message"]


def test_delete_removes_the_secret(api, put):
    put("api_key")

    deleted = api("alice").delete("/api/secrets/api_key")
    missing = api("alice").get("/api/secrets/api_key")

    assert deleted.status_code == 204 and missing.status_code == 404


def test_invalid_values_and_identifiers_are_refused_with_the_reason(api, put):
    short = put("api_key", "short")
    bad_name = api("alice").post(
        "/api/secrets", {"identifier": "has space", "value": VALUE}, format="json"
    )

    assert short.status_code == 400
    assert "at least 8 characters" in short.json()["error"]["message"]
    assert bad_name.status_code == 400
    assert not Secret.objects.exists()


@pytest.mark.parametrize(("user", "status"), [("charlie", 403), ("dave", 403)])
def test_viewers_and_outsiders_cannot_write_secrets(put, user, status):
    assert put("api_key", user=user).status_code == status
    assert not Secret.objects.exists()


def test_anonymous_callers_get_401(api):
    assert api().get("/api/secrets").status_code == 401


def test_tenants_never_see_each_others_secrets(api, put):
    put("acme_only")

    from_globex = api("erin", host="globex.test")

    assert from_globex.get("/api/secrets").json() == []
    assert from_globex.get("/api/secrets/acme_only").status_code == 404
    assert from_globex.delete("/api/secrets/acme_only").status_code == 404
    assert Secret.objects.filter(identifier="acme_only").exists()
