"""REST /system/api/secrets: identifiers and times out, values only in, by role."""

import pytest

from secrets_app.models import Secret

VALUE = "sk-live-0123456789abcdef"


@pytest.fixture
def put(api):
    def send(identifier, value=VALUE, user="alice", host="acme.test"):
        return api(user, host).put(
            f"/system/api/secrets/{identifier}", {"value": value}, format="json"
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

    listed = api("charlie").get("/system/api/secrets")
    one = api("charlie").get("/system/api/secrets/api_key")

    assert [s["identifier"] for s in listed.json()] == ["api_key", "other_key"]
    assert one.json()["identifier"] == "api_key"
    for reply in (listed, one):
        body = reply.content.decode()
        assert VALUE not in body and "another-secret-value" not in body
        assert "ciphertext" not in body


def test_post_creates_and_refuses_an_existing_identifier(api):
    first = api("bob").post(
        "/system/api/secrets", {"identifier": "token", "value": VALUE}, format="json"
    )
    again = api("bob").post(
        "/system/api/secrets", {"identifier": "token", "value": VALUE}, format="json"
    )

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "secret_exists"
    assert "PUT /system/api/secrets/token" in again.json()["error"]["message"]


def test_delete_removes_the_secret(api, put):
    put("api_key")

    deleted = api("alice").delete("/system/api/secrets/api_key")
    missing = api("alice").get("/system/api/secrets/api_key")

    assert deleted.status_code == 204 and missing.status_code == 404


def test_invalid_values_and_identifiers_are_refused_with_the_reason(api, put):
    short = put("api_key", "short")
    bad_name = api("alice").post(
        "/system/api/secrets",
        {"identifier": "has space", "value": VALUE},
        format="json",
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
    assert api().get("/system/api/secrets").status_code == 401


def test_tenants_never_see_each_others_secrets(api, put):
    put("acme_only")

    from_globex = api("erin", host="globex.test")

    assert from_globex.get("/system/api/secrets").json() == []
    assert from_globex.get("/system/api/secrets/acme_only").status_code == 404
    assert from_globex.delete("/system/api/secrets/acme_only").status_code == 404
    assert Secret.objects.filter(identifier="acme_only").exists()


def test_allowed_hosts_are_set_normalized_and_shown(api):
    created = api("bob").post(
        "/system/api/secrets",
        {
            "identifier": "bound",
            "value": VALUE,
            "allowed_hosts": ["API.Example.com.", "*.Example.com", "bücher.de"],
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["allowed_hosts"] == [
        "*.example.com",
        "api.example.com",
        "xn--bcher-kva.de",
    ]
    assert api("charlie").get("/system/api/secrets").json()[0]["allowed_hosts"] == [
        "*.example.com",
        "api.example.com",
        "xn--bcher-kva.de",
    ]


def test_a_new_secret_without_hosts_may_be_sent_nowhere(put):
    assert put("api_key").json()["allowed_hosts"] == []


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        (["https://api.example.com"], "no scheme, port or path"),
        (["api.example.com:443"], "no scheme, port or path"),
        (["api.example.com/v1"], "no scheme, port or path"),
        (["*.com"], "too broad"),
        (["*.10.0.0.1"], "a wildcard needs a host name"),
        (["-bad-.example.com"], "not a valid host"),
        ("api.example.com", "Expected a list"),
    ],
)
def test_invalid_allowed_hosts_are_refused_with_the_reason(api, hosts, message):
    reply = api("alice").put(
        "/system/api/secrets/api_key",
        {"value": VALUE, "allowed_hosts": hosts},
        format="json",
    )

    error = reply.json()["error"]
    assert reply.status_code == 400
    assert error["code"] == "bad_request" and "requestId" in error
    assert message in error["message"] and "allowed_hosts" in error["fields"]
    assert not Secret.objects.exists()


def test_an_owner_patches_the_hosts_and_the_value_stays(api, put):
    put("api_key")

    patched = api("alice").patch(
        "/system/api/secrets/api_key",
        {"allowed_hosts": ["api.example.com"]},
        format="json",
    )

    assert patched.status_code == 200
    assert patched.json()["allowed_hosts"] == ["api.example.com"]
    secret = Secret.objects.get(identifier="api_key")
    assert secret.allowed_hosts == ["api.example.com"] and secret.reveal() == VALUE


def test_a_developer_may_set_hosts_together_with_a_new_value(api, put):
    put("api_key")

    patched = api("bob").patch(
        "/system/api/secrets/api_key",
        {"value": "sk-live-developer-own-value", "allowed_hosts": ["dev.example.com"]},
        format="json",
    )
    rotated = api("bob").put(
        "/system/api/secrets/api_key", {"value": "sk-live-rotated-value"}, format="json"
    )

    assert patched.status_code == 200 and rotated.status_code == 200
    # Replacing only the value keeps where it may go.
    assert rotated.json()["allowed_hosts"] == ["dev.example.com"]
    assert Secret.objects.get().reveal() == "sk-live-rotated-value"


def test_a_patch_with_nothing_to_change_is_refused(api, put):
    put("api_key")

    reply = api("alice").patch("/system/api/secrets/api_key", {}, format="json")

    assert reply.status_code == 400
    assert "Send allowed_hosts, value, or both." in reply.json()["error"]["message"]


def test_viewers_cannot_patch_hosts(api, put):
    put("api_key")

    reply = api("charlie").patch(
        "/system/api/secrets/api_key", {"allowed_hosts": ["*"]}, format="json"
    )

    assert reply.status_code == 403
    assert Secret.objects.get().allowed_hosts == []
