"""console.* calls become LogEntry rows, tied to their invocation's Execution."""

import uuid

import pytest

from scripts_app.models import Execution, LogEntry

LEVELS = """
function levels(context) {
  console.log("plain", { n: 1 }, [2]);
  console.info("for your information");
  console.warn("careful");
  console.error("it broke");
  console.debug("details");
  return { status: 200, body: { execution: context.execution.id } };
}
routeRegistry.registerRoute("/levels", "levels", "GET");
"""


@pytest.fixture
def levels(upload):
    assert upload("levels", LEVELS).status_code == 201


def test_each_console_method_is_stored_with_its_level(levels, api, records):
    execution = api().get("/levels").json()["execution"]
    records()
    rows = LogEntry.objects.filter(execution_id=execution).order_by("id")
    assert [(e.level, e.message) for e in rows] == [
        ("LOG", 'plain {"n":1} [2]'),
        ("INFO", "for your information"),
        ("WARN", "careful"),
        ("ERROR", "it broke"),
        ("DEBUG", "details"),
    ]


def test_logs_belong_to_the_execution_row_of_their_call(levels, api, records, cast):
    first = api().get("/levels").json()["execution"]
    second = api().get("/levels").json()["execution"]
    records()
    assert first != second
    for execution_id in (first, second):
        execution = Execution.objects.get(id=uuid.UUID(execution_id))
        assert execution.tenant == cast["acme"]
        assert execution.script.name == "levels"
        entries = LogEntry.objects.filter(execution_id=execution.id)
        assert entries.count() == 5
        assert {e.script_id for e in entries} == {execution.script_id}
        assert {e.tenant_id for e in entries} == {cast["acme"].id}


def test_nothing_is_written_before_the_buffer_is_flushed(levels, api, records):
    api().get("/levels")
    assert not Execution.objects.exists()
    assert records() == 6  # one execution and five log entries
    assert Execution.objects.count() == 1
