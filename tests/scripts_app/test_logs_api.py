"""GET /system/api/logs and /system/api/executions list a script's records, newest first."""

import pytest

SOURCE = """
function greet(context) {
  const name = context.request.query.name;
  console.info("greeting " + name);
  if (name === "bad") console.warn("odd name " + name);
  return { status: 200, body: { execution: context.execution.id } };
}
routeRegistry.registerRoute("/greet", "greet", "GET");
"""
OTHER = """
function other() { console.log("from other"); return "other"; }
routeRegistry.registerRoute("/other", "other", "GET");
"""


@pytest.fixture
def calls(upload, api, records):
    """Call greet as ann, bad and cy, then other; return greet's execution ids."""
    assert upload("greet", SOURCE).status_code == 201
    assert upload("other", OTHER).status_code == 201
    ids = [
        api().get(f"/greet?name={name}").json()["execution"]
        for name in ("ann", "bad", "cy")
    ]
    api().get("/other")
    records()
    return ids


def messages(response):
    assert response.status_code == 200, response.content
    return [entry["message"] for entry in response.json()["results"]]


def test_logs_of_a_script_are_listed_newest_first(calls, api):
    assert messages(api("alice").get("/system/api/logs?script=greet")) == [
        "greeting cy",
        "odd name bad",
        "greeting bad",
        "greeting ann",
    ]


def test_logs_can_be_filtered_by_level_in_any_case(calls, api):
    assert messages(api("alice").get("/system/api/logs?script=greet&level=warn")) == [
        "odd name bad"
    ]


def test_logs_can_be_filtered_by_execution(calls, api):
    r = api("bob").get(f"/system/api/logs?execution={calls[1]}")
    assert messages(r) == ["odd name bad", "greeting bad"]
    assert {e["execution_id"] for e in r.json()["results"]} == {calls[1]}


def test_log_entries_name_their_script_and_level(calls, api):
    (entry,) = api("charlie").get("/system/api/logs?script=other").json()["results"]
    assert entry["script"] == "other"
    assert entry["level"] == "LOG"
    assert entry["message"] == "from other"


def test_executions_of_a_script_are_listed_newest_first(calls, api):
    r = api("alice").get("/system/api/executions?script=greet")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [row["id"] for row in rows] == list(reversed(calls))
    assert {row["status"] for row in rows} == {"ok"}
    assert {row["trigger"] for row in rows} == {"GET /greet"}
