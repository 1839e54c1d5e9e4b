"""An invocation that read an asset and writes it re-runs if it changed meanwhile."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

UPSERT = {
    "kind": "assets.upsert",
    "data": {"name": "n.txt", "content": "Mg==", "mimetype": "text/plain"},
}


@pytest.fixture
def invocation(script, cast):
    from scripts_app.hosting import Invocation
    from scripts_app.models import Script

    script("counter", "function h() { return 1; }")
    counter = Script.objects.get(tenant=cast["acme"], name="counter")
    return Invocation(cast["acme"], counter.id, "counter", "http")


def store(tenant, content):
    from assets_app.api import save_upload

    save_upload(tenant, "n.txt", content, "text/plain")


async def test_a_write_after_a_read_of_a_changed_asset_conflicts(invocation, cast):
    from asgiref.sync import sync_to_async

    from assets_app.ops import script_ops
    from scripts_app.hosting import EffectConflict, apply_effects

    await sync_to_async(store)(cast["acme"], b"1")
    await script_ops(invocation)["assets.fetch"]("n.txt")
    await sync_to_async(store)(cast["acme"], b"5")  # another invocation's write

    with pytest.raises(EffectConflict):
        await sync_to_async(apply_effects)(invocation, [UPSERT])


async def test_a_write_after_an_unchanged_read_applies(invocation, cast):
    from asgiref.sync import sync_to_async

    from assets_app import repository
    from assets_app.models import Asset
    from assets_app.ops import script_ops
    from scripts_app.hosting import apply_effects

    await sync_to_async(store)(cast["acme"], b"1")
    await script_ops(invocation)["assets.fetch"]("n.txt")

    await sync_to_async(apply_effects)(invocation, [UPSERT])

    asset = await Asset.objects.aget(name="n.txt")
    assert await sync_to_async(repository.read)(asset) == b"2"
