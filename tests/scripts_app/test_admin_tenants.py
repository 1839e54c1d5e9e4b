"""Tenants and memberships in /system/admin/: domains typed as text, checked, live at once."""

import pytest
from django.test import Client

from tenants.models import Membership, Role, Tenant
from tests.cast import PASSWORD

ADD = "/system/admin/tenants/tenant/add/"


@pytest.fixture
def admin_client(cast):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def _tenant_form(**fields):
    # The membership inline's management form, as the add page renders it.
    return {
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **fields,
    }


def test_domains_are_typed_one_per_line_or_comma_separated(admin_client, api):
    response = admin_client.post(
        ADD,
        _tenant_form(
            slug="initech", name="Initech", domains="Initech.test,\r\nwww.initech.test"
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.domains == ["initech.test", "www.initech.test"]
    # root may act in any tenant; the new domain must route to it right away.
    listing = api("root", host="www.initech.test").get("/system/scripts")
    assert listing.status_code == 200
    assert listing.json() == []


def test_change_form_shows_the_domains_one_per_line(admin_client, cast):
    cast["acme"].domains = ["acme.test", "www.acme.test"]
    cast["acme"].save()
    page = admin_client.get(f"/system/admin/tenants/tenant/{cast['acme'].pk}/change/")
    assert "acme.test\nwww.acme.test</textarea>" in page.content.decode()


def test_domain_of_another_tenant_is_refused_naming_it(admin_client, cast):
    response = admin_client.post(
        ADD, _tenant_form(slug="copy", name="Copy", domains="acme.test")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["domains"]
    assert "already belongs to tenant 'acme'" in errors[0]
    assert not Tenant.objects.filter(slug="copy").exists()


def test_domain_with_a_scheme_is_refused(admin_client, cast):
    response = admin_client.post(
        ADD, _tenant_form(slug="bad", name="Bad", domains="https://bad.test/")
    )
    assert response.status_code == 200
    assert (
        "not a valid host name"
        in response.context["adminform"].form.errors["domains"][0]
    )


def test_membership_added_in_the_admin_grants_the_role(admin_client, cast, api):
    assert api("dave").get("/system/scripts").status_code == 403
    response = admin_client.post(
        "/system/admin/tenants/membership/add/",
        {"user": cast["dave"].pk, "tenant": cast["acme"].pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=cast["dave"]).role == Role.VIEWER
    assert api("dave").get("/system/scripts").status_code == 200
    assert api("dave").delete("/system/scripts/x").status_code == 403


def test_second_membership_in_the_same_tenant_is_refused(admin_client, cast):
    response = admin_client.post(
        "/system/admin/tenants/membership/add/",
        {"user": cast["alice"].pk, "tenant": cast["acme"].pk, "role": Role.VIEWER},
    )
    assert response.status_code == 200
    assert Membership.objects.get(user=cast["alice"]).role == Role.OWNER
