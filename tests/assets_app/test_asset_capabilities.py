"""ReadAssets, WriteAssets and DeleteAssets: granted per script, checked each way."""

import pytest
from asgiref.sync import sync_to_async

from tests.assets_app.conftest import fetch

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
async function attempt(c) {
  const calls = {
    listAssets: () => assetStorage.listAssets(),
    fetchAsset: () => assetStorage.fetchAsset("a.txt"),
    upsertAsset: () => assetStorage.upsertAsset("a.txt", "aGk=", "text/plain"),
    deleteAsset: () => assetStorage.deleteAsset("a.txt"),
  };
  try {
    return String(await calls[c.query.call]());
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
routeRegistry.registerRoute("/attempt", "attempt", "GET");
"""

NEEDS = {
    "listAssets": "ReadAssets",
    "fetchAsset": "ReadAssets",
    "upsertAsset": "WriteAssets",
    "deleteAsset": "DeleteAssets",
}
ALLOWED = {
    "listAssets": "[]",
    "fetchAsset": "Asset 'a.txt' not found",
    "upsertAsset": "Asset 'a.txt' saved successfully",
    "deleteAsset": "Asset 'a.txt' not found",  # there is no a.txt
}


@pytest.mark.parametrize("call", NEEDS)
async def test_a_call_without_its_capability_fails_naming_it(script, call):
    others = [c for c in set(NEEDS.values()) if c != NEEDS[call]]
    await sync_to_async(script)("caps", SOURCE, others)

    reply = await fetch(f"/attempt?call={call}")

    assert reply.text.startswith("CapabilityError: ")
    assert f"assetStorage.{call} needs the {NEEDS[call]} capability" in reply.text


@pytest.mark.parametrize("call", NEEDS)
async def test_a_call_with_its_capability_works(script, call):
    await sync_to_async(script)("caps", SOURCE, [NEEDS[call]])

    reply = await fetch(f"/attempt?call={call}")

    assert reply.text == ALLOWED[call]


async def test_granting_a_capability_takes_effect_without_a_new_upload(script, grant):
    await sync_to_async(script)("caps", SOURCE, [])
    refused = await fetch("/attempt?call=listAssets")

    await sync_to_async(grant)("caps", "ReadAssets")
    allowed = await fetch("/attempt?call=listAssets")

    assert refused.text.startswith("CapabilityError")
    assert allowed.text == "[]"


@pytest.fixture
def invocation(script, cast):
    """An invocation of a script granted nothing, as a caller other than HTTP makes."""
    from scripts_app.hosting import Invocation
    from scripts_app.models import Script

    script("bare", SOURCE, [])
    bare = Script.objects.get(tenant=cast["acme"], name="bare")
    return Invocation(
        tenant=cast["acme"], script_id=bare.id, script_name="bare", kind="cron"
    )


@pytest.mark.parametrize(("op", "args"), [("assets.list", []), ("assets.fetch", ["a"])])
async def test_the_host_refuses_reads_whatever_the_context_says(invocation, op, args):
    from assets_app.ops import script_ops
    from engine import HostError

    with pytest.raises(HostError) as refused:
        await script_ops(invocation)[op](*args)

    assert refused.value.name == "CapabilityError"
    assert "ReadAssets" in refused.value.message


@pytest.mark.parametrize(
    ("kind", "data", "capability"),
    [
        (
            "assets.upsert",
            {"name": "a", "content": "aGk=", "mimetype": "text/plain"},
            "WriteAssets",
        ),
        ("assets.delete", {"name": "a"}, "DeleteAssets"),
    ],
)
def test_effects_of_a_script_without_the_capability_are_rejected(
    invocation, kind, data, capability
):
    from assets_app.models import Asset
    from scripts_app.hosting import EffectRejected, apply_effects

    with pytest.raises(EffectRejected, match=capability):
        apply_effects(invocation, [{"kind": kind, "data": data}])

    assert not Asset.objects.exists()
