"""sharedStorage as the aiwebengine seed documents it, with getItem awaited."""

import pytest

from storage_app.models import StoredItem

NOTES = """
async function read(context) {
  const value = await sharedStorage.getItem(context.request.query.key);
  return { status: 200, body: { value: value } };
}
function write(context) {
  const q = context.request.query;
  return sharedStorage.setItem(q.key, q.value);
}
async function remove(context) {
  const removed = await sharedStorage.removeItem(context.request.query.key);
  return { status: 200, body: { removed: removed } };
}
function wipe(context) { return sharedStorage.clear(); }
async function ownWrites(context) {
  const before = await sharedStorage.getItem("draft");
  sharedStorage.setItem("draft", "v2");
  const during = await sharedStorage.getItem("draft");
  const removedNow = await sharedStorage.removeItem("draft");
  const after = await sharedStorage.getItem("draft");
  sharedStorage.clear();
  sharedStorage.setItem("kept", "yes");
  return { status: 200, body: {
    before: before, during: during, removedNow: removedNow, after: after,
    kept: await sharedStorage.getItem("kept"),
    other: await sharedStorage.getItem("other"),
  } };
}
function badValues(context) {
  return { status: 200, body: [
    sharedStorage.setItem("", "x"),
    sharedStorage.setItem("n", 42),
    sharedStorage.setItem("big", "é".repeat(512 * 1024 + 1)),
    sharedStorage.setItem("k".repeat(501), "x"),
  ] };
}
routeRegistry.registerRoute("/notes/read", "read", "GET");
routeRegistry.registerRoute("/notes/write", "write", "POST");
routeRegistry.registerRoute("/notes/remove", "remove", "POST");
routeRegistry.registerRoute("/notes/clear", "wipe", "POST");
routeRegistry.registerRoute("/notes/own", "ownWrites", "POST");
routeRegistry.registerRoute("/notes/bad", "badValues", "POST");
"""


@pytest.fixture
def notes(cast, script):
    script("notes", NOTES)


def read(call, key, **kwargs):
    response = call("GET", f"/notes/read?key={key}", **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["value"]


def test_set_value_is_read_back_by_a_later_call(notes, call):
    written = call("POST", "/notes/write?key=greeting&value=hello")

    assert written.status_code == 200
    assert written.content == b"Item stored"
    assert read(call, "greeting") == "hello"
    assert read(call, "missing") is None


def test_remove_item_says_whether_the_key_existed(notes, call):
    call("POST", "/notes/write?key=a&value=1")

    first = call("POST", "/notes/remove?key=a").json()
    second = call("POST", "/notes/remove?key=a").json()

    assert (first, second) == ({"removed": True}, {"removed": False})
    assert read(call, "a") is None


def test_clear_removes_every_key_of_the_script(notes, call):
    for key in ("a", "b"):
        call("POST", f"/notes/write?key={key}&value=1")

    cleared = call("POST", "/notes/clear")

    assert cleared.content == b"sharedStorage cleared"
    assert (read(call, "a"), read(call, "b")) == (None, None)
    assert not StoredItem.objects.exists()


def test_reads_see_the_invocations_own_pending_writes(notes, call):
    call("POST", "/notes/write?key=draft&value=v1")
    call("POST", "/notes/write?key=other&value=o")

    body = call("POST", "/notes/own").json()

    assert body == {
        "before": "v1",
        "during": "v2",
        "removedNow": True,
        "after": None,
        "kept": "yes",
        "other": None,
    }
    assert read(call, "other") is None
    assert read(call, "kept") == "yes"


def test_invalid_keys_and_values_return_the_seeds_error_strings(notes, call):
    errors = call("POST", "/notes/bad").json()

    assert errors == [
        "Error: Key cannot be empty",
        "Error: Value must be a string (use JSON.stringify for objects)",
        "Error: Value too large (1048578 bytes; the limit is 1MB, 1048576 bytes)",
        "Error: Key is longer than 500 characters",
    ]
    assert not StoredItem.objects.exists()


def test_a_value_of_exactly_one_megabyte_is_stored(cast, script, call):
    script(
        "big",
        'function big(c) { return sharedStorage.setItem("big", "é".repeat(512 * 1024)); }\n'
        'routeRegistry.registerRoute("/big", "big", "POST");',
    )

    assert call("POST", "/big").content == b"Item stored"
    assert StoredItem.objects.get(key="big").size == 1024 * 1024 + 3


def test_scripts_do_not_see_each_others_shared_storage(notes, script, call):
    script("notes-copy", NOTES.replace("/notes/", "/copy/"))
    call("POST", "/notes/write?key=k&value=mine")

    copy = call("GET", "/copy/read?key=k").json()["value"]

    assert (read(call, "k"), copy) == ("mine", None)


def test_tenants_do_not_see_each_others_shared_storage(notes, script, call):
    script("notes", NOTES, host="globex.test")
    call("POST", "/notes/write?key=k&value=acme")

    assert read(call, "k", host="globex.test") is None
    assert read(call, "k") == "acme"
