"""Group commit: invocations that finish together share one transaction (SQLite).

Each keeps its own atomicity: a refused or conflicting one loses only its own
writes, through a savepoint, and the others land.
"""

import asyncio

import pytest
from asgiref.sync import sync_to_async

SOURCE = "function h() { return 1; }"


@pytest.fixture
def invocations(script, cast):
    """Three invocations of one script, as three finished requests would be."""
    from scripts_app.hosting import Invocation
    from scripts_app.models import Script

    script("grouped", SOURCE)
    grouped = Script.objects.get(tenant=cast["acme"], name="grouped")
    return [Invocation(cast["acme"], grouped.id, "grouped", "http") for _ in range(3)]


def stored():
    from storage_app.models import StoredItem

    return dict(StoredItem.objects.values_list("key", "value"))


def set_effect(key, value):
    return {
        "kind": "storage.set",
        "data": {"scope": "shared", "key": key, "value": value},
    }


@pytest.mark.django_db(transaction=True)
def test_a_refused_invocation_in_a_batch_loses_only_its_own_writes(invocations):
    from scripts_app.hosting import EffectRejected, apply_batch

    first, refused, last = invocations
    results = apply_batch(
        [
            (first, [set_effect("a", "1")]),
            # A valid write, then one the storage app refuses: neither lands.
            (refused, [set_effect("b", "2"), set_effect("", "x")]),
            (last, [set_effect("c", "3")]),
        ]
    )

    assert results[0] is None and results[2] is None
    assert isinstance(results[1], EffectRejected)
    assert stored() == {"a": "1", "c": "3"}


@pytest.mark.django_db(transaction=True)
def test_a_conflict_inside_a_batch_is_reported_to_that_invocation_only(invocations):
    from scripts_app.hosting import EffectConflict, apply_batch
    from storage_app.ops import READS

    apply_batch([(invocations[0], [set_effect("n", "1")])])
    from storage_app.models import StoredItem

    version = StoredItem.objects.get(key="n").version
    first, second, other = invocations
    # Both read n at the same version and write it: the first to apply wins.
    for reader in (first, second):
        reader.notes[READS] = {("shared:grouped", "n"): version}
    results = apply_batch(
        [
            (first, [set_effect("n", "2")]),
            (second, [set_effect("n", "3")]),
            (other, [set_effect("o", "9")]),
        ]
    )

    assert results[0] is None and results[2] is None
    assert isinstance(results[1], EffectConflict)
    assert stored() == {"n": "2", "o": "9"}


@pytest.mark.django_db(transaction=True)
async def test_invocations_finishing_together_share_transactions(
    invocations, monkeypatch
):
    from django.db import connection

    from scripts_app import hosting

    if connection.vendor != "sqlite":
        # PostgreSQL locks rows, not the database: each invocation commits alone.
        assert not hosting._batching()
        return
    sizes = []
    real = hosting.apply_batch

    def counting(batch):
        sizes.append(len(batch))
        return real(batch)

    monkeypatch.setattr(hosting, "_apply_batch_off_loop", sync_to_async(counting))
    invocation = invocations[0]
    await asyncio.gather(
        *(
            hosting._apply_effects_off_loop(invocation, [set_effect(f"k{i}", str(i))])
            for i in range(20)
        )
    )

    assert sum(sizes) == 20
    assert len(sizes) < 20  # the ones queued behind the first went in together
    assert await sync_to_async(stored)() == {f"k{i}": str(i) for i in range(20)}
