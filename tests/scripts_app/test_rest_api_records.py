"""/system/api/logs and /system/api/executions: filtered by script, scoped to the tenant."""

import pytest

from scripts_app.records import buffer
from tests.conftest import HELLO

SHOUT = """
function shout(context) {
  console.warn("shouting");
  throw new Error("too loud");
}
routeRegistry.registerRoute("/shout", "shout", "GET");
"""


@pytest.fixture(autouse=True)
def _no_rows_from_other_tests():
    # Rows other tests queued but never wrote point at rolled-back tenants.
    buffer().clear()
    yield
    buffer().clear()


@pytest.fixture
def traffic(upload, api, records):
    """Call hello twice and shout once in acme, hello once in globex."""
    assert upload("hello", HELLO).status_code == 201
    assert upload("shout", SHOUT).status_code == 201
    assert upload("hello", HELLO, user="erin", host="globex.test").status_code == 201
    acme = api(host="acme.test")
    acme.get("/hello?name=Ann")
    acme.get("/hello?name=Ben")
    assert acme.get("/shout").status_code == 500
    api(host="globex.test").get("/hello?name=Gus")
    records()


def _results(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_logs_are_filtered_by_script(api, traffic):
    logs = _results(api("alice"), "/system/api/logs?script=hello")
    assert sorted(e["message"] for e in logs) == ["hello Ann", "hello Ben"]
    assert {e["script"] for e in logs} == {"hello"}


def test_logs_are_scoped_to_the_tenant(api, traffic):
    messages = {
        e["message"] for e in _results(api("erin", "globex.test"), "/system/api/logs")
    }
    assert messages == {"hello Gus"}
    everything = {e["message"] for e in _results(api("alice"), "/system/api/logs")}
    assert "hello Gus" not in everything
    assert {"hello Ann", "hello Ben", "shouting"} <= everything


def test_logs_are_filtered_by_level_and_keep_the_uncaught_error(api, traffic):
    errors = _results(api("alice"), "/system/api/logs?script=shout&level=error")
    assert len(errors) == 1
    assert "too loud" in errors[0]["message"]
    warnings = _results(api("charlie"), "/system/api/logs?level=WARN")
    assert [e["message"] for e in warnings] == ["shouting"]


def test_logs_of_one_execution(api, traffic):
    client = api("alice")
    [shout] = _results(client, "/system/api/executions?script=shout")
    logs = _results(client, f"/system/api/logs?execution={shout['id']}")
    assert {e["level"] for e in logs} == {"WARN", "ERROR"}
    assert {e["execution_id"] for e in logs} == {shout["id"]}


def test_executions_are_filtered_by_script_and_record_the_outcome(api, traffic):
    client = api("alice")
    hellos = _results(client, "/system/api/executions?script=hello")
    assert len(hellos) == 2
    assert {(e["status"], e["response_status"], e["version"]) for e in hellos} == {
        ("ok", 200, 1)
    }
    assert {e["trigger"] for e in hellos} == {"GET /hello"}
    [shout] = _results(client, "/system/api/executions?script=shout")
    assert (shout["status"], shout["response_status"]) == ("error", 500)
    assert "too loud" in shout["error"]


def test_executions_are_scoped_to_the_tenant(api, traffic):
    globex = _results(api("erin", "globex.test"), "/system/api/executions")
    assert len(globex) == 1
    assert len(_results(api("alice"), "/system/api/executions")) == 3
    one_of_globex = globex[0]["id"]
    assert (
        api("alice").get(f"/system/api/executions/{one_of_globex}").status_code == 404
    )


def test_executions_since_a_time_in_the_future_are_none(api, traffic):
    assert (
        _results(api("alice"), "/system/api/executions?since=2999-01-01T00:00:00Z")
        == []
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=yesterday", "since"), ("execution=not-a-uuid", "execution")],
)
def test_malformed_filters_are_400_naming_the_parameter(api, cast, query, field):
    for path in ("/system/api/logs", "/system/api/executions"):
        response = api("alice").get(f"{path}?{query}")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "bad_request"
        assert field in error["fields"]


def test_results_are_paginated(api, traffic):
    page = api("alice").get("/system/api/logs?limit=1").json()
    assert page["count"] >= 3
    assert len(page["results"]) == 1
    assert page["next"]
