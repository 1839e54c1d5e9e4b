"""The admin shows a secret's value as an empty password field and keeps it if blank."""

import pytest
from django.test import Client

from secrets_app.models import Secret

VALUE = "sk-live-0123456789abcdef"


@pytest.fixture
def admin_client(cast):
    client = Client()
    client.force_login(cast["root"])
    return client


def test_adding_a_secret_encrypts_the_value(admin_client, cast):
    reply = admin_client.post(
        "/system/admin/secrets_app/secret/add/",
        {"tenant": cast["acme"].pk, "identifier": "api_key", "value": VALUE},
    )

    assert reply.status_code == 302
    assert Secret.objects.get(identifier="api_key").reveal() == VALUE


def test_adding_a_secret_without_a_value_is_refused(admin_client, cast):
    reply = admin_client.post(
        "/system/admin/secrets_app/secret/add/",
        {"tenant": cast["acme"].pk, "identifier": "api_key", "value": ""},
    )

    assert reply.status_code == 200
    assert "A new secret needs a value." in reply.content.decode()
    assert not Secret.objects.exists()


def test_the_change_page_never_shows_the_value(admin_client, cast):
    secret = Secret(tenant=cast["acme"], identifier="api_key")
    secret.set_value(VALUE)
    secret.save()

    page = admin_client.get(f"/system/admin/secrets_app/secret/{secret.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'type="password"' in html and VALUE not in html
    assert secret.ciphertext not in html


def test_saving_with_a_blank_value_keeps_the_old_one(admin_client, cast):
    secret = Secret(tenant=cast["acme"], identifier="api_key")
    secret.set_value(VALUE)
    secret.save()
    url = f"/system/admin/secrets_app/secret/{secret.pk}/change/"

    kept = admin_client.post(url, {"value": ""})
    secret.refresh_from_db()
    value_after_blank = secret.reveal()
    changed = admin_client.post(url, {"value": "a-brand-new-value"})
    secret.refresh_from_db()

    assert kept.status_code == 302 and changed.status_code == 302
    assert value_after_blank == VALUE
    assert secret.reveal() == "a-brand-new-value"


def test_the_admin_sets_allowed_hosts_one_per_line(admin_client, cast):
    reply = admin_client.post(
        "/system/admin/secrets_app/secret/add/",
        {
            "tenant": cast["acme"].pk,
            "identifier": "api_key",
            "value": VALUE,
            "allowed_hosts": "API.example.com\n*.partner.example, 203.0.113.7",
        },
    )
    listing = admin_client.get("/system/admin/secrets_app/secret/").content.decode()

    assert reply.status_code == 302
    assert Secret.objects.get().allowed_hosts == [
        "*.partner.example",
        "203.0.113.7",
        "api.example.com",
    ]
    assert "*.partner.example, 203.0.113.7, api.example.com" in listing


def test_the_admin_refuses_an_invalid_host_with_the_reason(admin_client, cast):
    secret = Secret(tenant=cast["acme"], identifier="api_key")
    secret.set_value(VALUE)
    secret.save()

    reply = admin_client.post(
        f"/system/admin/secrets_app/secret/{secret.pk}/change/",
        {"value": "", "allowed_hosts": "https://api.example.com/v1"},
    )

    assert reply.status_code == 200
    assert "no scheme, port or path" in reply.content.decode()
    secret.refresh_from_db()
    assert secret.allowed_hosts == []
