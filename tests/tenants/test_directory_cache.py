"""The per-process tenant cache: read once, reloaded when 'tenants' moves."""

import time

import pytest
from django.db import OperationalError
from django.db.models import F

from tenants.models import ChangeCounter, Tenant
from tenants.resolve import TenantDirectory


def refresh_every(settings, seconds):
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": seconds}


def change_from_another_process(**tenant):
    """Add a tenant as another process would: no signals reach this one."""
    Tenant.objects.bulk_create([Tenant(**tenant)])
    ChangeCounter.objects.filter(name="tenants").update(value=F("value") + 1)


def slug_for(directory, host):
    return directory.resolve_sync(host, "/").tenant.slug


def test_lookups_within_the_refresh_interval_run_no_query(
    cast, settings, django_assert_num_queries
):
    refresh_every(settings, 60)
    directory = TenantDirectory()
    assert slug_for(directory, "acme.test") == "acme"
    with django_assert_num_queries(0):
        assert slug_for(directory, "globex.test") == "globex"
        assert slug_for(directory, "elsewhere.test") == "default"


def test_another_process_change_shows_up_after_the_refresh_interval(cast, settings):
    refresh_every(settings, 60)
    directory = TenantDirectory()
    assert slug_for(directory, "initech.test") == "default"
    change_from_another_process(slug="initech", name="I", domains=["initech.test"])
    # Not due for a poll yet: still the cached view.
    assert slug_for(directory, "initech.test") == "default"
    refresh_every(settings, 0.05)
    deadline = time.monotonic() + 5
    while slug_for(directory, "initech.test") != "initech":
        assert time.monotonic() < deadline, "the new tenant never showed up"
        time.sleep(0.02)


def test_change_without_a_counter_bump_is_not_picked_up(cast, settings):
    refresh_every(settings, 0)
    directory = TenantDirectory()
    assert slug_for(directory, "initech.test") == "default"
    Tenant.objects.bulk_create(
        [Tenant(slug="initech", name="I", domains=["initech.test"])]
    )
    assert slug_for(directory, "initech.test") == "default"


def test_new_domain_saved_in_this_process_is_seen_on_the_next_lookup(cast, settings):
    refresh_every(settings, 60)
    directory = TenantDirectory()
    assert slug_for(directory, "shop.globex.test") == "default"
    globex = cast["globex"]
    globex.domains = [*globex.domains, "shop.globex.test"]
    globex.save()
    assert slug_for(directory, "shop.globex.test") == "globex"


def test_deleted_tenant_no_longer_resolves(cast, settings):
    refresh_every(settings, 60)
    directory = TenantDirectory()
    assert slug_for(directory, "globex.test") == "globex"
    cast["globex"].delete()
    assert slug_for(directory, "globex.test") == "default"
    assert directory.resolve_sync("x.test", "/t/globex/").tenant is None


def test_failed_poll_keeps_serving_the_last_copy(cast, settings, monkeypatch):
    refresh_every(settings, 0)
    directory = TenantDirectory()
    assert slug_for(directory, "acme.test") == "acme"

    def unreachable():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ChangeCounter, "snapshot", unreachable)
    assert slug_for(directory, "acme.test") == "acme"
    assert slug_for(directory, "globex.test") == "globex"


def test_first_load_failure_is_raised(db, monkeypatch):
    def unreachable():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ChangeCounter, "snapshot", unreachable)
    with pytest.raises(OperationalError):
        TenantDirectory().resolve_sync("acme.test", "/")
