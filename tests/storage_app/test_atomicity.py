"""Writes land together after success, or not at all (R5)."""

import pytest

from storage_app.models import StoredItem

SOURCE = """
function writeThenThrow(context) {
  sharedStorage.setItem("a", "1");
  storage.set("b", { n: 1 });
  throw new Error("changed my mind");
}
async function writeThenReject(context) {
  sharedStorage.setItem("a", "1");
  await sharedStorage.getItem("a");
  throw new Error("after a read");
}
function writeThenLoop(context) {
  sharedStorage.setItem("a", "1");
  for (;;) {}
}
function writeMany(context) {
  for (let i = 0; i < 20; i++) sharedStorage.setItem("k" + i, String(i));
  storage.set("b", { n: 1 });
  return "ok";
}
function writeAtLoad() { return sharedStorage.setItem("a", "1"); }
const atLoad = writeAtLoad();
function loadResult(context) { return atLoad; }
routeRegistry.registerRoute("/throw", "writeThenThrow", "POST");
routeRegistry.registerRoute("/reject", "writeThenReject", "POST");
routeRegistry.registerRoute("/loop", "writeThenLoop", "POST");
routeRegistry.registerRoute("/many", "writeMany", "POST");
routeRegistry.registerRoute("/load", "loadResult", "GET");
"""


@pytest.fixture
def writer(cast, script, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {"http": (0.5, 20)}}
    script("writer", SOURCE)


@pytest.mark.parametrize(
    ("path", "status"), [("/throw", 500), ("/reject", 500), ("/loop", 504)]
)
def test_a_failed_invocation_writes_nothing(writer, call, path, status):
    response = call("POST", path)

    assert response.status_code == status
    assert not StoredItem.objects.exists()


def test_a_successful_invocation_writes_everything(writer, call):
    assert call("POST", "/many").status_code == 200

    assert StoredItem.objects.filter(scope="shared").count() == 20
    assert StoredItem.objects.get(scope="tenant").value == '{"n":1}'


def test_writes_at_load_time_are_refused_with_an_error_string(writer, call):
    response = call("GET", "/load")

    assert response.content == (
        b"Error: sharedStorage can only be changed while handling a call, "
        b"not at load time"
    )
    assert not StoredItem.objects.exists()
