"""Every invocation leaves an Execution row: ok, error or timeout, with its logs."""

import time

import pytest

from scripts_app.models import Execution, LogEntry

SOURCE = """\
function ok() { console.log("fine"); return "ok"; }
function fail() {
  console.log("about to fail");
  throw new Error("kaput");
}
function spin() {
  console.log("starting to spin");
  while (true) {}
}
function empty() {}
function badStatus() { return { status: 42, body: "x" }; }
function throwString() { throw "plain string"; }
routeRegistry.registerRoute("/ok", "ok", "GET");
routeRegistry.registerRoute("/fail", "fail", "POST");
routeRegistry.registerRoute("/spin", "spin", "GET");
routeRegistry.registerRoute("/empty", "empty", "GET");
routeRegistry.registerRoute("/bad-status", "badStatus", "GET");
routeRegistry.registerRoute("/throw-string", "throwString", "GET");
"""
THROW_LINE = 4  # of "throw new Error" in SOURCE
THROW_COLUMN = SOURCE.splitlines()[THROW_LINE - 1].index("new Error") + 1


@pytest.fixture
def script(upload):
    assert upload("logs", SOURCE).status_code == 201


def only_execution():
    (execution,) = Execution.objects.all()
    return execution


def logs_of(execution):
    return list(
        LogEntry.objects.filter(execution_id=execution.id)
        .order_by("id")
        .values_list("level", "message")
    )


def test_successful_call_is_an_ok_execution(script, api, records):
    assert api().get("/ok").status_code == 200
    records()
    execution = only_execution()
    assert execution.status == "ok"
    assert execution.response_status == 200
    assert execution.kind == "http"
    assert execution.handler == "ok"
    assert execution.trigger == "GET /ok"
    assert execution.version == 1
    assert execution.error == ""
    assert execution.duration_ms > 0
    assert logs_of(execution) == [("LOG", "fine")]


def test_thrown_error_is_an_error_execution_with_the_stack_in_an_error_log(
    script, api, records
):
    assert api().post("/fail").status_code == 500
    records()
    execution = only_execution()
    where = f"logs.js:{THROW_LINE}:{THROW_COLUMN}"
    assert execution.status == "error"
    assert execution.response_status == 500
    assert execution.error == f"Error: kaput ({where})"
    (first, last) = logs_of(execution)
    assert first == ("LOG", "about to fail")
    assert last[0] == "ERROR"
    assert last[1].startswith(f"Uncaught Error: kaput ({where})\n")
    assert f"at fail ({where})" in last[1]


def test_thrown_non_error_is_logged_once_as_uncaught(script, api, records):
    assert api().get("/throw-string").status_code == 500
    records()
    ((level, message),) = logs_of(only_execution())
    assert level == "ERROR"
    assert message.startswith("Uncaught ")
    assert message.count("Uncaught") == 1
    assert "plain string" in message


def test_script_past_its_time_limit_is_a_timeout_execution(
    script, api, records, settings
):
    limits = settings.SCRIPTS["LIMITS"]
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {**limits, "http": (1.0, 20)}}
    started = time.monotonic()
    response = api().get("/spin")
    assert time.monotonic() - started < 10, "the 1 s limit was not enforced"
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "script_timeout"
    records()
    execution = only_execution()
    message = "Script exceeded its time limit of 1 s and was stopped"
    assert execution.status == "timeout"
    assert execution.response_status == 504
    assert execution.error == message
    assert logs_of(execution) == [("LOG", "starting to spin"), ("ERROR", message)]


def test_the_route_answers_again_after_a_timeout(script, api, settings):
    limits = settings.SCRIPTS["LIMITS"]
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {**limits, "http": (1.0, 20)}}
    assert api().get("/spin").status_code == 504
    assert api().get("/ok").content == b"ok"


def test_refused_response_is_an_error_execution_saying_why(script, api, records):
    assert api().get("/bad-status").status_code == 500
    records()
    execution = only_execution()
    message = "Handler 'badStatus' returned an invalid status: 42"
    assert execution.status == "error"
    assert execution.error == message
    assert logs_of(execution) == [("ERROR", message)]


def test_a_handler_returning_nothing_is_ok_with_a_warning_saying_what_to_return(
    script, api, records
):
    assert api().get("/empty").status_code == 200
    records()
    execution = only_execution()
    assert execution.status == "ok"
    assert execution.response_status == 200
    assert logs_of(execution) == [
        (
            "WARN",
            "Handler 'empty' returned nothing; answered 200 with an empty body "
            "(return a response object {status, body} or a string)",
        )
    ]


def test_execution_records_the_version_that_ran(script, api, records, upload):
    assert upload("logs", SOURCE + "\n// v2").status_code == 200
    api().get("/ok")
    records()
    assert only_execution().version == 2


def test_unrouted_requests_leave_no_execution(script, api, records):
    api().get("/nowhere")
    api().delete("/ok")
    records()
    assert not Execution.objects.exists()
