"""Keys set with a TTL read as null once it passes, and are purged."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from storage_app.models import StoredItem
from tests.storage_app.test_iota_storage import CACHE, get, put


@pytest.fixture
def cache(cast, script):
    script("cache", CACHE)


def expire(key):
    StoredItem.objects.filter(key=key).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_key_expires_ttl_seconds_after_it_was_set(cache, call):
    before = timezone.now()
    put(call, "k", "v", ttl=3600)

    expires_at = StoredItem.objects.get(key="k").expires_at
    assert before + timedelta(seconds=3600) <= expires_at
    assert expires_at <= timezone.now() + timedelta(seconds=3600)
    assert get(call, "k") == "v"


def test_an_expired_key_reads_as_null(cache, call):
    put(call, "k", "v", ttl=3600)
    expire("k")

    assert get(call, "k") is None


def test_a_key_without_ttl_never_expires(cache, call):
    put(call, "k", "v")

    assert StoredItem.objects.get(key="k").expires_at is None


def test_setting_an_expired_key_again_revives_it_without_a_ttl(cache, call):
    put(call, "k", "old", ttl=60)
    expire("k")

    put(call, "k", "new")

    assert get(call, "k") == "new"
    assert StoredItem.objects.get(key="k").expires_at is None


def test_writing_the_namespace_purges_its_expired_keys(cache, call):
    put(call, "stale", 1, ttl=60)
    put(call, "fresh", 1, ttl=60)
    expire("stale")

    put(call, "other", 2)

    assert sorted(StoredItem.objects.values_list("key", flat=True)) == [
        "fresh",
        "other",
    ]


def test_purge_command_deletes_only_expired_keys(cache, call, capsys):
    put(call, "stale", 1, ttl=60)
    put(call, "fresh", 1, ttl=60)
    put(call, "forever", 1)
    expire("stale")

    call_command("purge_expired_storage")

    assert "Purged 1 expired storage item(s)" in capsys.readouterr().out
    assert sorted(StoredItem.objects.values_list("key", flat=True)) == [
        "forever",
        "fresh",
    ]
