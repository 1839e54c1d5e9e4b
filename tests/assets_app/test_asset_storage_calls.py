"""assetStorage from a script: writes after success, reads as Promises."""

import json

import pytest
from asgiref.sync import sync_to_async

from tests.assets_app.conftest import b64, fetch

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function put(c) {
  const b = JSON.parse(c.request.body);
  return assetStorage.upsertAsset(b.name, b.content, b.mimetype);
}
async function get(c) { return await assetStorage.fetchAsset(c.query.name); }
async function list(c) {
  return { status: 200, body: JSON.parse(await assetStorage.listAssets()) };
}
function del(c) { return assetStorage.deleteAsset(c.query.name); }
async function ownWrites(c) {
  const saved = assetStorage.upsertAsset("mine.txt", "aGk=", "text/plain");
  const fetched = await assetStorage.fetchAsset("mine.txt");
  const listed = JSON.parse(await assetStorage.listAssets()).map((a) => a.name);
  const removed = assetStorage.deleteAsset("mine.txt");
  const after = await assetStorage.fetchAsset("mine.txt");
  const again = assetStorage.deleteAsset("mine.txt");
  return { status: 200, body: { saved, fetched, listed, removed, after, again } };
}
function writeThenThrow(c) {
  assetStorage.upsertAsset("doomed.txt", "aGk=", "text/plain");
  throw new Error("changed my mind");
}
routeRegistry.registerRoute("/put", "put", "POST");
routeRegistry.registerRoute("/get", "get", "GET");
routeRegistry.registerRoute("/list", "list", "GET");
routeRegistry.registerRoute("/del", "del", "POST");
routeRegistry.registerRoute("/own", "ownWrites", "GET");
routeRegistry.registerRoute("/throw", "writeThenThrow", "GET");
"""


@pytest.fixture
def assets(script):
    script("assets", SOURCE)


async def put(name, data: bytes, mimetype="text/plain"):
    body = {"name": name, "content": b64(data), "mimetype": mimetype}
    return await fetch("/put", method="POST", body=json.dumps(body).encode())


async def test_upsert_returns_the_message_and_fetch_returns_base64(assets):
    saved = await put("notes/hello.txt", b"hello\x00world")
    fetched = await fetch("/get?name=notes/hello.txt")

    assert saved.text == "Asset 'notes/hello.txt' saved successfully"
    assert fetched.text == b64(b"hello\x00world")


async def test_fetch_of_a_missing_asset_resolves_to_the_seed_message(assets):
    reply = await fetch("/get?name=nothing.png")

    assert reply.status_code == 200
    assert reply.text == "Asset 'nothing.png' not found"


async def test_upsert_replaces_content_and_type(assets):
    await put("a.css", b"old", "text/plain")
    await put("a.css", b"body{}", "text/css")

    listed = (await fetch("/list")).json()
    assert [(a["name"], a["size"], a["mimetype"]) for a in listed] == [
        ("a.css", 6, "text/css")
    ]
    assert (await fetch("/get?name=a.css")).text == b64(b"body{}")


async def test_list_gives_the_seeds_metadata_with_millisecond_times(assets):
    await put("b.txt", b"bb")
    await put("a.txt", b"a")

    listed = (await fetch("/list")).json()

    assert [a["name"] for a in listed] == ["a.txt", "b.txt"]
    assert set(listed[0]) == {"name", "size", "mimetype", "createdAt", "updatedAt"}
    assert listed[0]["createdAt"] > 1_600_000_000_000


async def test_delete_removes_the_asset_and_its_file(assets, media):
    await put("gone.txt", b"x")
    files = list(media.rglob("*"))
    assert any(f.is_file() for f in files)

    deleted = await fetch("/del?name=gone.txt", method="POST")

    assert deleted.text == "Asset 'gone.txt' deleted successfully"
    assert (await fetch("/get?name=gone.txt")).text == "Asset 'gone.txt' not found"
    assert [f for f in media.rglob("*") if f.is_file()] == []


async def test_delete_of_a_missing_asset_returns_the_seeds_not_found_message(assets):
    # Seed, assetStorage.deleteAsset: "Returns: Success message if deleted, or
    # error message if not found" (the reference's "Asset '<name>' not found").
    reply = await fetch("/del?name=never-there.txt", method="POST")

    assert reply.status_code == 200
    assert reply.text == "Asset 'never-there.txt' not found"


async def test_deleting_twice_says_deleted_then_not_found(assets):
    await put("raced.txt", b"x")
    deleted = await fetch("/del?name=raced.txt", method="POST")
    again = await fetch("/del?name=raced.txt", method="POST")

    assert deleted.text == "Asset 'raced.txt' deleted successfully"
    assert again.text == "Asset 'raced.txt' not found"


async def test_replacing_an_asset_leaves_only_the_new_file(assets, media):
    await put("one.txt", b"first")
    await put("one.txt", b"second")

    contents = [f.read_bytes() for f in media.rglob("*") if f.is_file()]
    assert contents == [b"second"]


async def test_an_invocation_reads_its_own_pending_writes(assets):
    body = (await fetch("/own")).json()

    assert body == {
        "saved": "Asset 'mine.txt' saved successfully",
        "fetched": "aGk=",
        "listed": ["mine.txt"],
        "removed": "Asset 'mine.txt' deleted successfully",
        "after": "Asset 'mine.txt' not found",
        "again": "Asset 'mine.txt' not found",
    }
    assert (await fetch("/get?name=mine.txt")).text == "Asset 'mine.txt' not found"


async def test_a_handler_that_throws_after_writing_stores_nothing(assets):
    reply = await fetch("/throw")

    assert reply.status_code == 500
    assert (await fetch("/get?name=doomed.txt")).text == "Asset 'doomed.txt' not found"


READER = """
async function r(c) { return await assetStorage.fetchAsset("s.txt"); }
routeRegistry.registerRoute("/r", "r", "GET");
"""


async def test_assets_belong_to_the_tenant_not_the_script(assets, script):
    await sync_to_async(script)("reader", READER)
    await put("s.txt", b"shared")

    assert (await fetch("/r")).text == b64(b"shared")
