"""The seed's asset rules: name, base64, 10 MB, MIME type; refused at once."""

import json

import pytest

from tests.assets_app.conftest import fetch

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function put(c) {
  const b = JSON.parse(c.request.body);
  const content = b.repeat ? "A".repeat(b.repeat) + b.pad : b.content;
  return assetStorage.upsertAsset(b.name, content, b.mimetype);
}
function del(c) { return assetStorage.deleteAsset(JSON.parse(c.request.body).name); }
async function get(c) { return await assetStorage.fetchAsset(JSON.parse(c.request.body).name); }
async function names(c) { return String(JSON.parse(await assetStorage.listAssets()).length); }
routeRegistry.registerRoute("/put", "put", "POST");
routeRegistry.registerRoute("/del", "del", "POST");
routeRegistry.registerRoute("/get", "get", "POST");
routeRegistry.registerRoute("/count", "names", "GET");
"""

GOOD = {"name": "ok.txt", "content": "aGk=", "mimetype": "text/plain"}
BAD_NAME = "Error: asset name must be 1-255 characters"
TRAVERSAL = "Error: asset name must not contain '..' or '\\'"
CASES = [
    ({"name": ""}, BAD_NAME),
    ({"name": "x" * 256}, BAD_NAME),
    ({"name": 7}, BAD_NAME),
    ({"name": "../etc/passwd"}, TRAVERSAL),
    ({"name": "a\\b"}, TRAVERSAL),
    ({"name": "tab\there"}, "Error: asset name must not contain control characters"),
    ({"content": "aGk"}, "Error: content is not valid base64"),
    ({"content": "a!k="}, "Error: content is not valid base64"),
    ({"content": "aG\nk="}, "Error: content is not valid base64"),
    ({"content": None}, "Error: content is not valid base64"),
    (
        {"repeat": 13981015, "pad": "="},
        "Error: asset is 10485761 bytes; the limit is 10485760 bytes (10 MB)",
    ),
    ({"mimetype": ""}, "Error: mimetype must be a MIME type"),
    ({"mimetype": "png"}, "Error: mimetype must be a MIME type"),
    ({"mimetype": "text/plain\r\nX-Evil: 1"}, "Error: mimetype must be a MIME type"),
]


@pytest.fixture
def assets(script):
    script("rules", SOURCE)


async def post(path, body):
    reply = await fetch(path, method="POST", body=json.dumps(body).encode())
    assert reply.status_code == 200, reply.text
    return reply.text


@pytest.mark.parametrize(("change", "message"), CASES)
async def test_an_invalid_upsert_answers_its_error_and_stores_nothing(
    assets, change, message
):
    answer = await post("/put", {**GOOD, **change})

    assert answer.startswith(message)
    assert (await fetch("/count")).text == "0"


async def test_the_largest_allowed_asset_is_accepted(assets):
    # 10 MB exactly: 3 bytes per 4 characters, minus what the padding drops.
    answer = await post("/put", {**GOOD, "repeat": 13981014, "pad": "=="})
    answer_count = (await fetch("/count")).text

    assert answer == "Asset 'ok.txt' saved successfully"
    assert answer_count == "1"


@pytest.mark.parametrize(("name", "message"), [("", BAD_NAME), ("a/../b", TRAVERSAL)])
async def test_fetch_and_delete_refuse_invalid_names(assets, name, message):
    assert await post("/get", {"name": name}) == message
    assert await post("/del", {"name": name}) == message


@pytest.mark.parametrize(
    "data",
    [
        {"name": "../x", "content": "aGk=", "mimetype": "text/plain"},
        {"name": "x", "content": "not base64!", "mimetype": "text/plain"},
        {"name": "x", "content": "aGk=", "mimetype": "nonsense"},
    ],
)
def test_the_host_checks_effects_again(script, cast, data):
    """A write that skipped the JS checks is still refused, and nothing lands."""
    from assets_app.models import Asset
    from scripts_app.hosting import EffectRejected, Invocation, apply_effects
    from scripts_app.models import Script

    script("rules", SOURCE)
    rules = Script.objects.get(tenant=cast["acme"], name="rules")
    invocation = Invocation(cast["acme"], rules.id, "rules", "http")
    effects = [
        {"kind": "assets.upsert", "data": {**GOOD, "name": "first.txt"}},
        {"kind": "assets.upsert", "data": data},
    ]

    with pytest.raises(EffectRejected, match="assetStorage.upsertAsset: Error"):
        apply_effects(invocation, effects)

    assert not Asset.objects.exists()
