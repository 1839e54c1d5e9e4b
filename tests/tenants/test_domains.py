"""Tenant.domains: bare lower-case host names, each owned by one tenant."""

import pytest
from django.core.exceptions import ValidationError

from tenants.models import Tenant


def test_domains_are_lower_cased_stripped_and_deduplicated_by_clean(db):
    tenant = Tenant(slug="initech", name="Initech")
    tenant.domains = [" Initech.Test ", "initech.test", "WWW.initech.test"]
    tenant.full_clean()
    assert tenant.domains == ["initech.test", "www.initech.test"]


def test_domains_are_normalized_on_save_without_clean(db):
    tenant = Tenant.objects.create(
        slug="initech", name="I", domains=["API.Initech.Test"]
    )
    tenant.refresh_from_db()
    assert tenant.domains == ["api.initech.test"]


@pytest.mark.parametrize(
    "domain",
    ["initech.test:8000", "http://initech.test", "initech.test/path", "bad host", ""],
)
def test_domain_with_port_scheme_path_or_space_is_refused(db, domain):
    tenant = Tenant(slug="initech", name="Initech", domains=[domain])
    with pytest.raises(ValidationError) as caught:
        tenant.full_clean()
    assert "domains" in caught.value.message_dict


def test_domains_must_be_a_list_of_strings(db):
    tenant = Tenant(slug="initech", name="Initech", domains="initech.test")
    with pytest.raises(ValidationError) as caught:
        tenant.full_clean()
    assert caught.value.message_dict["domains"] == [
        "Domains must be a list of host names."
    ]


def test_domain_of_another_tenant_is_refused_naming_its_owner(cast):
    tenant = Tenant(slug="initech", name="Initech", domains=["ACME.test"])
    with pytest.raises(ValidationError) as caught:
        tenant.full_clean()
    assert caught.value.message_dict["domains"] == [
        "'acme.test' already belongs to tenant 'acme'."
    ]


def test_a_tenant_may_keep_its_own_domains_when_edited(cast):
    acme = cast["acme"]
    acme.domains = ["acme.test", "shop.acme.test"]
    acme.full_clean()
    acme.save()
    assert Tenant.objects.get(slug="acme").domains == ["acme.test", "shop.acme.test"]
