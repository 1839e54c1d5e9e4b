"""IOTA `storage`: tenant-wide JSON values with get, set and delete."""

import json

import pytest

from storage_app.models import StoredItem

CACHE = """
async function put(context) {
  const body = JSON.parse(context.request.body);
  await storage.set(body.key, body.value, body.ttl);
  return { status: 200, body: { stored: await storage.get(body.key) } };
}
async function get(context) {
  return { status: 200, body: { value: await storage.get(context.request.query.key) } };
}
async function drop(context) {
  await storage.delete(context.request.query.key);
  return { status: 200, body: { value: await storage.get(context.request.query.key) } };
}
async function sales(context) {
  const current = (await storage.get("daily_sales")) || { count: 0, total: 0 };
  current.count += 1;
  current.total += 10;
  await storage.set("daily_sales", current, 86400);
  current.count = 1000; // changed after set: the stored value must not follow
  return { status: 200, body: await storage.get("daily_sales") };
}
async function misuse(context) {
  const errors = [];
  const attempts = [
    () => storage.set("", 1),
    () => storage.set("k", undefined),
    () => storage.set("k", 1, -5),
    () => storage.set("k", 1, "soon"),
    () => storage.set("k", "x".repeat(1024 * 1024)),
  ];
  for (const attempt of attempts) {
    try { attempt(); errors.push("no error"); } catch (e) { errors.push(e.name + ": " + e.message); }
  }
  try { await storage.get(""); } catch (e) { errors.push(e.name + ": " + e.message); }
  return { status: 200, body: errors };
}
routeRegistry.registerRoute("/cache", "put", "POST");
routeRegistry.registerRoute("/cache", "get", "GET");
routeRegistry.registerRoute("/cache", "drop", "DELETE");
routeRegistry.registerRoute("/sales", "sales", "POST");
routeRegistry.registerRoute("/misuse", "misuse", "POST");
"""


@pytest.fixture
def cache(cast, script):
    script("cache", CACHE)


def put(call, key, value, ttl=None, path="/cache", host="acme.test"):
    body = {"key": key, "value": value, "ttl": ttl}
    return call(
        "POST", path, data=json.dumps(body), content_type="application/json", host=host
    )


def get(call, key, path="/cache", host="acme.test"):
    return call("GET", f"{path}?key={key}", host=host).json()["value"]


@pytest.mark.parametrize(
    "value", [{"a": [1, 2, {"b": None}]}, [1, "two"], "text", 3.5, True, None]
)
def test_json_values_round_trip(cache, call, value):
    assert put(call, "k", value).json() == {"stored": value}
    assert get(call, "k") == value


def test_delete_removes_the_key(cache, call):
    put(call, "k", 1)

    assert call("DELETE", "/cache?key=k").json() == {"value": None}
    assert get(call, "k") is None


def test_the_seeds_sales_cache_counts_and_keeps_the_value_as_set(cache, call):
    call("POST", "/sales")

    assert call("POST", "/sales").json() == {"count": 2, "total": 20}


def test_scripts_of_one_tenant_share_it_and_other_tenants_do_not(cache, script, call):
    script("reader", CACHE.replace('"/', '"/reader/'))
    script("cache", CACHE, host="globex.test")
    put(call, "shared-key", {"from": "cache"})

    assert get(call, "shared-key", path="/reader/cache") == {"from": "cache"}
    assert get(call, "shared-key", host="globex.test") is None


def test_invalid_arguments_throw_errors_that_say_what_is_wrong(cache, call):
    assert call("POST", "/misuse").json() == [
        "TypeError: storage.set: Key cannot be empty",
        "TypeError: storage.set: the value must be JSON data, not undefined",
        "TypeError: storage.set: ttlSeconds must be a positive number of seconds",
        "TypeError: storage.set: ttlSeconds must be a positive number of seconds",
        "RangeError: storage.set: Value too large (1048578 bytes; the limit is "
        "1MB, 1048576 bytes)",
        "TypeError: storage.get: Key cannot be empty",
    ]
    assert not StoredItem.objects.exists()
