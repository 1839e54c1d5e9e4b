"""The storage hot path's plain SQL answers exactly what the ORM would (both stacks)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from storage_app.models import StoredItem
from storage_app.rows import checked_rows, read_row


@pytest.fixture
def items(cast):
    tenant = cast["acme"]
    later = timezone.now() + timedelta(hours=1)
    common = {"tenant": tenant, "scope": "shared", "script_name": "s"}
    return tenant, [
        StoredItem.objects.create(
            namespace="shared:s", key="a", value="1", size=2, **common
        ),
        StoredItem.objects.create(
            namespace="shared:s",
            key="key",
            value="ü",
            size=5,
            expires_at=later,
            **common,
        ),
        StoredItem.objects.create(
            namespace="shared:t", key="a", value="x", size=2, **common
        ),
    ]


def test_a_read_gives_the_orm_values_and_types(items):
    tenant, _ = items
    for namespace, key in (("shared:s", "a"), ("shared:s", "key"), ("shared:t", "a")):
        orm = (
            StoredItem.objects.filter(tenant=tenant, namespace=namespace, key=key)
            .values_list("value", "version", "expires_at")
            .get()
        )
        raw = read_row(tenant.id, namespace, key)
        assert raw == orm
        assert isinstance(raw[1], uuid.UUID)
        assert raw[2] is None or raw[2].tzinfo is not None


def test_a_read_of_a_missing_key_or_another_tenants_is_none(items, cast):
    tenant, _ = items
    assert read_row(tenant.id, "shared:s", "nope") is None
    assert read_row(cast["globex"].id, "shared:s", "a") is None


def test_checked_rows_are_the_orm_rows_in_namespace_and_key_order(items):
    tenant, made = items
    rows = checked_rows(tenant.id, {"shared:t": ["a"], "shared:s": ["key", "a", "zz"]})

    assert [(r.namespace, r.key) for r in rows] == [
        ("shared:s", "a"),
        ("shared:s", "key"),
        ("shared:t", "a"),
    ]
    by_id = {m.pk: m for m in made}
    for row in rows:
        orm = StoredItem.objects.get(pk=row.pk)
        for name in (
            "namespace",
            "key",
            "version",
            "size",
            "script_name",
            "expires_at",
        ):
            assert getattr(row, name) == getattr(orm, name), name
        assert row.pk in by_id
