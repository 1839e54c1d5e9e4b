"""Per-script quotas on bytes and keys, with an error that says which was exceeded."""

import pytest

from storage_app.models import StoredItem

FILLER = """
function fill(context) {
  const q = context.request.query;
  for (let i = 0; i < parseInt(q.keys); i++) {
    sharedStorage.setItem("k" + i, "x".repeat(parseInt(q.size)));
  }
  return "filled";
}
function shrink(context) {
  sharedStorage.setItem("k0", "");
  return "shrunk";
}
routeRegistry.registerRoute("/fill", "fill", "POST");
routeRegistry.registerRoute("/shrink", "shrink", "POST");
"""


@pytest.fixture
def filler(cast, script, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "STORAGE_MAX_BYTES_PER_SCRIPT": 1000,
        "STORAGE_MAX_KEYS_PER_SCRIPT": 5,
    }
    script("filler", FILLER)


def test_writes_within_the_quota_are_stored(filler, call):
    assert call("POST", "/fill?keys=5&size=150").status_code == 200

    assert StoredItem.objects.count() == 5


def test_exceeding_the_byte_quota_fails_and_writes_nothing(filler, call):
    response = call("POST", "/fill?keys=2&size=600")

    assert response.status_code == 500
    assert response.json()["error"]["message"] == (
        "Storage quota exceeded: script 'filler' would store 1,204 bytes "
        "(limit 1,000); nothing was written"
    )
    assert not StoredItem.objects.exists()


def test_exceeding_the_key_quota_fails_and_writes_nothing(filler, call):
    call("POST", "/fill?keys=3&size=1")

    response = call("POST", "/fill?keys=6&size=1")

    assert response.status_code == 500
    assert "would store 6 keys (limit 5)" in response.json()["error"]["message"]
    assert StoredItem.objects.count() == 3


def test_a_script_over_a_lowered_quota_may_still_shrink(filler, call, settings):
    call("POST", "/fill?keys=5&size=150")
    settings.SCRIPTS = {**settings.SCRIPTS, "STORAGE_MAX_BYTES_PER_SCRIPT": 100}

    assert call("POST", "/shrink").status_code == 200
    assert StoredItem.objects.get(key="k0").size == 2


def test_quotas_are_counted_per_script(filler, script, call):
    script("other", FILLER.replace('"/', '"/other/'))
    call("POST", "/fill?keys=5&size=150")

    assert call("POST", "/other/fill?keys=5&size=150").status_code == 200
    assert StoredItem.objects.count() == 10
