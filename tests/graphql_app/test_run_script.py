"""runScript and executions in the platform schema: REST's run and records, in GraphQL."""

import pytest

from scripts_app.models import Execution

SOURCE = """async function main(context) {
  console.log("hi " + context.args.name);
  return {hello: context.args.name, by: context.execution.triggeredBy};
}

function pair(context) { return [context.args[1], context.args[0]]; }

function fails() {
  throw new Error("bad day");
}

function loops() { while (true) {} }
"""

RUN = """
mutation Run($id: String!, $handler: String, $args: GenericScalar) {
  runScript(id: $id, handler: $handler, args: $args) {
    success executionId status result durationMs code message
    logs { level message }
    error { code message line column }
  }
}
"""

EXECUTIONS = """
query List($script: String, $kind: String, $status: String, $triggeredBy: String,
           $ref: String, $job: String) {
  executions(script: $script, kind: $kind, status: $status,
             triggeredBy: $triggeredBy, ref: $ref, job: $job) {
    id script kind handler triggeredBy ref status result resultCut durationMs error
  }
}
"""


@pytest.fixture
def greeter(upload):
    assert upload("greeter", SOURCE).status_code == 201


def _run(graphql, user="alice", host="acme.test", **variables):
    response = graphql(RUN, {"id": "greeter", **variables}, user=user, host=host)
    assert response.status_code == 200, response.content
    return response.json()


def test_run_script_runs_main_and_returns_its_value_and_logs(graphql, greeter, records):
    body = _run(graphql, args={"name": "Ann"})
    run = body["data"]["runScript"]
    assert run["success"] is True
    assert run["status"] == "ok"
    assert run["result"] == {"hello": "Ann", "by": "api"}
    assert run["logs"] == [{"level": "LOG", "message": "hi Ann"}]
    assert run["error"] is None
    records()
    row = Execution.objects.get(id=run["executionId"])
    assert (row.kind, row.triggered_by, row.handler) == ("manual", "api", "main")


def test_run_script_takes_a_handler_and_list_args(graphql, greeter):
    run = _run(graphql, handler="pair", args=[1, "two"])["data"]["runScript"]
    assert run["result"] == ["two", 1]


def test_a_thrown_error_comes_back_with_its_line(graphql, greeter):
    run = _run(graphql, handler="fails")["data"]["runScript"]
    assert (run["success"], run["status"]) == (False, "error")
    line = SOURCE.splitlines().index('  throw new Error("bad day");') + 1
    assert run["error"]["line"] == line
    assert f"greeter.js:{line}:" in run["error"]["message"]


def test_a_handler_past_the_time_limit_times_out(graphql, greeter, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "LIMITS": {**settings.SCRIPTS["LIMITS"], "cron": (0.3, 128)},
    }
    run = _run(graphql, handler="loops")["data"]["runScript"]
    assert (run["success"], run["status"]) == (False, "timeout")


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"args": "text"}, "bad_args"),
        ({"args": 3}, "bad_args"),
        ({"handler": "nope"}, "handler_not_found"),
        ({"id": "nothing"}, "not_found"),
    ],
)
def test_refused_runs_say_why_and_store_nothing(
    graphql, greeter, records, variables, code
):
    run = _run(graphql, **variables)["data"]["runScript"]
    assert (run["success"], run["code"], run["executionId"]) == (False, code, None)
    assert run["message"]
    records()
    assert not Execution.objects.exists()


def test_developers_and_superusers_may_run_scripts(graphql, greeter):
    for user in ("bob", "root"):
        run = _run(graphql, user=user, handler="pair", args=[1, 2])["data"]
        assert run["runScript"]["result"] == [2, 1], user


@pytest.mark.parametrize("user", ["charlie", "dave"])
def test_viewers_and_strangers_may_not_run_scripts(graphql, greeter, records, user):
    body = _run(graphql, user=user)
    assert body["data"]["runScript"] is None
    assert body["errors"][0]["extensions"]["code"] == "permission_denied"
    records()
    assert not Execution.objects.exists()


def test_anonymous_callers_must_sign_in(graphql, greeter):
    body = _run(graphql, user=None)
    assert body["errors"][0]["extensions"]["code"] == "not_authenticated"


def test_another_tenant_cannot_run_the_script(graphql, greeter, records):
    run = _run(graphql, user="erin", host="globex.test")["data"]["runScript"]
    assert (run["success"], run["code"]) == (False, "not_found")
    records()
    assert not Execution.objects.exists()


def test_executions_are_listed_with_filters(graphql, greeter, records, api):
    _run(graphql, args={"name": "Ann"})
    _run(graphql, handler="fails")
    records()
    job = Execution.objects.filter(handler="main").get()
    Execution.objects.filter(pk=job.pk).update(
        ref="job:6f1c2a9e-1111-4111-8111-111111111111"
    )

    def listed(user="alice", host="acme.test", **variables):
        response = graphql(EXECUTIONS, variables, user=user, host=host)
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["executions"]

    everything = listed()
    assert {e["handler"] for e in everything} == {"main", "fails"}
    assert [e["handler"] for e in listed(status="error")] == ["fails"]
    main = listed(job="6f1c2a9e-1111-4111-8111-111111111111")
    assert [e["handler"] for e in main] == ["main"]
    assert main[0]["result"] == {"hello": "Ann", "by": "api"}
    assert main[0]["resultCut"] is False
    assert listed(ref=main[0]["ref"]) == main
    assert len(listed(kind="manual", triggeredBy="api", script="greeter")) == 2
    assert listed(triggeredBy="cron") == []
    # The viewer reads them; another tenant sees none.
    assert len(listed(user="charlie")) == 2
    assert listed(user="erin", host="globex.test") == []


def test_an_unknown_status_filter_is_refused(graphql, greeter):
    response = graphql(EXECUTIONS, {"status": "fine"})
    error = response.json()["errors"][0]
    assert "status must be one of ok, error" in error["message"]
