"""Secrets stored before hosts were bound keep working where they are used today."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenants.models import Tenant

BEFORE = [("secrets_app", "0001_initial")]
AFTER = [("secrets_app", "0002_secret_allowed_hosts")]


@pytest.mark.django_db(transaction=True)
def test_existing_secrets_are_migrated_to_any_host_and_new_ones_to_none():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    # Only secrets_app goes back: tenants' table stays as it is today.
    tenant = Tenant.objects.create(slug="old", name="Old")
    old.get_model("secrets_app", "Secret").objects.create(
        tenant_id=tenant.pk, identifier="legacy", ciphertext="token"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Secret = new.get_model("secrets_app", "Secret")
    fresh = Secret.objects.create(tenant_id=tenant.pk, identifier="new", ciphertext="t")

    assert Secret.objects.get(identifier="legacy").allowed_hosts == ["*"]
    assert Secret.objects.get(pk=fresh.pk).allowed_hosts == []
