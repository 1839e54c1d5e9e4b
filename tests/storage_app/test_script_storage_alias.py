"""scriptStorage, the reference implementation's first name for sharedStorage, is it."""

import json

from storage_app.models import StoredItem

# Written as the reference implementation's scripts were before the rename:
# handler(request), a {status, body} answer without a content type.
COUNTER = """
function bump(request) {
  const before = scriptStorage.getItem("visits");
  const stored = scriptStorage.setItem("visits", String(Number(before || "0") + 1));
  return { status: 200, body: JSON.stringify({ before: before, stored: stored }) };
}
function readShared(request) {
  return { status: 200, body: String(sharedStorage.getItem("visits")) };
}
function forget(request) {
  return { status: 200, body: JSON.stringify({
    removed: scriptStorage.removeItem("visits"),
    again: scriptStorage.removeItem("visits"),
    cleared: scriptStorage.clear(),
    same: scriptStorage === sharedStorage,
  }) };
}
routeRegistry.registerRoute("/visits", "bump", "POST");
routeRegistry.registerRoute("/visits", "readShared", "GET");
routeRegistry.registerRoute("/visits", "forget", "DELETE");
"""


def test_script_storage_writes_are_read_back_through_shared_storage(script, call):
    script("counter", COUNTER)

    first = call("POST", "/visits")
    second = call("POST", "/visits")

    assert first.status_code == 200
    assert first["Content-Type"] == "text/plain; charset=UTF-8"
    assert json.loads(first.content) == {"before": None, "stored": "Item stored"}
    assert json.loads(second.content) == {"before": "1", "stored": "Item stored"}
    assert call("GET", "/visits").content == b"2"
    assert StoredItem.objects.get().value == "2"


def test_script_storage_removes_and_clears_as_shared_storage_does(script, call):
    script("counter", COUNTER)
    call("POST", "/visits")

    body = json.loads(call("DELETE", "/visits").content)

    assert body == {
        "removed": True,
        "again": False,
        "cleared": "sharedStorage cleared",
        "same": True,
    }
    assert not StoredItem.objects.exists()
