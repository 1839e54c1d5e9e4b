"""POST /system/api/scripts/<id>/run: a handler run by hand, answered or polled."""

import time

import pytest

from scripts_app.models import Execution, LogEntry

# The run goes on in this process's runs loop (a thread of its own), which
# reads the script through its own database connection: committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)

ONE_OFF = """/**
 * @name Report
 * @type one-off
 */
async function main(context) {
  console.log("running for " + context.args.who);
  return {who: context.args.who, by: context.execution.triggeredBy,
          kind: context.kind, user: context.user && context.user.name,
          request: context.request};
}

function add(context) {
  return context.args[0] + context.args[1];
}

function fails(context) {
  console.log("about to fail");
  throw new Error("report broke");
}

function spin(context) {
  while (true) {}
}

function slow(context) {
  const end = Date.now() + context.args.ms;
  while (Date.now() < end) {}
  return "done";
}

const notAFunction = 5;
"""


@pytest.fixture
def report(upload):
    assert upload("report", ONE_OFF).status_code == 201


def _run(client, body, script="report", **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/system/api/scripts/{script}/run" + (f"?{qs}" if qs else ""),
        body,
        format="json",
    )


def test_run_without_a_handler_runs_main_with_the_args(api, report, records):
    response = _run(api("alice"), {"args": {"who": "Ann"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["handler"] == "main"
    assert body["result"] == {
        "who": "Ann",
        "by": "api",
        "kind": "manual",
        "user": "alice",
        "request": None,
    }
    assert [e["message"] for e in body["logs"]] == ["running for Ann"]
    assert body["durationMs"] > 0
    assert body["error"] is None
    records()
    row = Execution.objects.get(id=body["executionId"])
    assert (row.kind, row.triggered_by, row.status, row.handler) == (
        "manual",
        "api",
        "ok",
        "main",
    )
    assert '"who": "Ann"' in row.result


def test_a_named_handler_gets_array_args(api, report):
    response = _run(api("bob"), {"handler": "add", "args": [2, 3]})
    assert response.status_code == 200, response.content
    assert response.json()["result"] == 5


def test_a_thrown_error_gives_status_error_with_message_and_line(api, report, records):
    response = _run(api("alice"), {"handler": "fails"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "error"
    assert "report broke" in body["error"]["message"]
    line = ONE_OFF.splitlines().index('  throw new Error("report broke");') + 1
    assert body["error"]["line"] == line
    assert f"report.js:{line}:" in body["error"]["message"]
    assert [e["message"] for e in body["logs"]] == ["about to fail"]
    records()
    row = Execution.objects.get(id=body["executionId"])
    assert row.status == "error"
    assert "report broke" in row.error


def test_a_handler_past_the_time_limit_times_out(api, report, settings, records):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "LIMITS": {**settings.SCRIPTS["LIMITS"], "cron": (0.3, 128)},
    }
    response = _run(api("alice"), {"handler": "spin"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "timeout"
    records()
    assert Execution.objects.get(id=body["executionId"]).status == "timeout"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("just text", "not a string"),
        (7, "not a number"),
        (True, "not a boolean"),
    ],
)
def test_args_that_are_no_object_or_array_are_refused_and_nothing_stored(
    api, report, records, args, says
):
    response = _run(api("alice"), {"args": args})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "bad_args"
    assert says in error["message"]
    assert "context.args" in error["message"]
    records()
    assert not Execution.objects.exists()


def test_a_body_that_is_not_json_is_refused_and_nothing_stored(api, report, records):
    response = api("alice").post(
        "/system/api/scripts/report/run",
        data=b'{"args": {"who": ',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]
    records()
    assert not Execution.objects.exists()
    assert not LogEntry.objects.exists()


def test_a_missing_handler_is_refused_and_nothing_runs(api, report, records):
    response = _run(api("alice"), {"handler": "nope"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "handler_not_found"
    assert "report.js has no function 'nope'" in error["message"]
    assert "main, add, fails" in error["message"]
    records()
    assert not Execution.objects.exists()


def test_a_handler_that_is_not_a_function_is_a_400(api, report):
    response = _run(api("alice"), {"handler": "notAFunction"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "handler_not_found"
    assert "'notAFunction' is not a function in report.js" in error["message"]


def test_a_script_without_main_needs_a_handler(api, upload):
    assert upload("lib", "function helper() { return 1; }").status_code == 201
    response = _run(api("alice"), {}, script="lib")
    assert response.status_code == 400
    assert (
        "has no main() (its functions: helper)" in response.json()["error"]["message"]
    )


def test_a_long_run_answers_202_and_is_polled_until_it_ends(api, report, records):
    client = api("alice")
    response = _run(client, {"handler": "slow", "args": {"ms": 1500}}, wait=0)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "running"
    location = response["Location"]
    assert location == f"/system/api/executions/{body['executionId']}"
    polled = client.get(location)
    assert polled.status_code == 200
    assert polled.json()["status"] == "running"
    # Another tenant's user cannot see it.
    assert api("erin", "globex.test").get(location).status_code == 404
    deadline = time.monotonic() + 20
    while polled.json()["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
        polled = client.get(location)
    assert polled.json()["status"] == "ok"
    assert polled.json()["result"] == "done"
    records()
    written = client.get(location).json()
    assert (written["status"], written["result"], written["kind"]) == (
        "ok",
        "done",
        "manual",
    )
    assert written["triggered_by"] == "api"


def test_the_location_keeps_the_tenant_path_prefix(api, report):
    response = api("alice", host="testserver").post(
        "/t/acme/system/api/scripts/report/run?wait=0",
        {"handler": "slow", "args": {"ms": 300}},
        format="json",
    )
    assert response.status_code == 202, response.content
    execution_id = response.json()["executionId"]
    assert response["Location"] == f"/t/acme/system/api/executions/{execution_id}"


def test_wait_in_the_body_bounds_the_wait_too(api, report):
    response = _run(api("alice"), {"handler": "slow", "args": {"ms": 1000}, "wait": 0})
    assert response.status_code == 202


@pytest.mark.parametrize("wait", ["-1", "soon", "nan"])
def test_a_bad_wait_is_refused(api, report, wait):
    response = _run(api("alice"), {"handler": "add", "args": [1, 2]}, wait=wait)
    assert response.status_code == 400
    assert "wait" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("user", "status"),
    [("alice", 200), ("bob", 200), ("root", 200), ("charlie", 403), ("dave", 403)],
)
def test_owners_and_developers_may_run_viewers_and_strangers_may_not(
    api, report, records, user, status
):
    response = _run(api(user), {"handler": "add", "args": [1, 1]})
    assert response.status_code == status, response.content
    if status == 403:
        records()
        assert not Execution.objects.exists()


def test_anonymous_callers_must_authenticate(api, report):
    assert _run(api(), {"handler": "add", "args": [1, 1]}).status_code == 401


def test_a_tenant_cannot_run_another_tenants_script(api, report, records):
    response = _run(api("erin", "globex.test"), {"handler": "add", "args": [1, 1]})
    assert response.status_code == 404
    assert "No script 'report'" in response.json()["error"]["message"]
    records()
    assert not Execution.objects.exists()


def test_a_disabled_script_is_not_run(api, report):
    from scripts_app.models import Script

    Script.objects.filter(name="report").update(enabled=False)
    response = _run(api("alice"), {"handler": "add", "args": [1, 1]})
    assert response.status_code == 409
    assert "disabled" in response.json()["error"]["message"]


IOTA_ONE_OFF = """// One-off: reset the counters (IOTA style: main() reads the global context)
async function main() {
  console.info(`Resetting counters for tenant: ${context.tenant.name}`);
  await storage.set("counters", { value: 0, by: context.execution.triggeredBy }, 3600);
  return { reset: true, idLength: utils.uuid().length, user: context.user.email };
}

function failsAfterWriting() {
  storage.set("counters", { value: 99 });
  throw new Error("changed my mind");
}

async function read() {
  return await storage.get("counters");
}
"""


def test_an_iota_one_off_runs_main_and_its_writes_are_kept(api, upload):
    assert upload("reset", IOTA_ONE_OFF).status_code == 201
    client = api("bob")
    ran = _run(client, {}, script="reset")
    assert ran.status_code == 200, ran.content
    body = ran.json()
    assert body["result"] == {"reset": True, "idLength": 36, "user": "bob@example.com"}
    assert body["logs"][0]["level"] == "INFO"
    assert body["logs"][0]["message"] == "Resetting counters for tenant: Acme"
    stored = _run(client, {"handler": "read"}, script="reset").json()["result"]
    assert stored == {"value": 0, "by": "api"}
    # A run that throws keeps none of its writes (R5).
    failed = _run(client, {"handler": "failsAfterWriting"}, script="reset").json()
    assert failed["status"] == "error"
    stored = _run(client, {"handler": "read"}, script="reset").json()["result"]
    assert stored == {"value": 0, "by": "api"}
