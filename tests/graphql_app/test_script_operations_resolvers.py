"""Resolvers: their context, their values, and their failures as field errors."""

import json

import pytest

from scripts_app.models import Execution

ECHO = """
function echo(context) {
  return JSON.stringify({
    args: context.args,
    id: context.id === undefined ? null : context.id,
    kind: context.kind,
    auth: context.request.auth,
    meta: context.meta,
    user: context.user,
  });
}
graphQLRegistry.registerQuery(
  "echo",
  "type Query { echo(id: Int, tags: [String!]): String }",
  "echo",
  "external",
);
"""


def test_a_resolver_gets_args_auth_and_meta(graphql, upload, cast):
    upload("echo", ECHO)

    response = graphql('query Named { echo(id: 3, tags: ["a"]) }')

    # A String field: the object comes back as its JSON.
    seen = json.loads(response.json()["data"]["echo"])
    assert seen["args"] == {"id": 3, "tags": ["a"]}
    assert seen["id"] == 3  # the seed reads args.id off its first parameter
    assert seen["kind"] == "resolver"
    assert seen["auth"] == {
        "isAuthenticated": True,
        "userId": str(cast["alice"].pk),
        "userName": "alice",
        "userEmail": "alice@example.com",
        "isAdmin": True,
    }
    assert seen["meta"] == {
        "field": "echo",
        "operation": "query",
        "operationName": "Named",
        "path": ["echo"],
        "via": "http",
        "caller": None,
    }


def test_an_anonymous_caller_reaches_a_public_tenant_as_anonymous(
    graphql, upload, cast
):
    cast["acme"].graphql_public = True
    cast["acme"].save()
    upload("echo", ECHO)

    seen = json.loads(graphql("{ echo }", user=None).json()["data"]["echo"])

    assert seen["auth"]["isAuthenticated"] is False
    assert seen["user"] is None


THROWS = """
function fine(context) { return "fine"; }
function broken(context) {
  const user = null;
  return user.name;
}
function slow(context) { while (true) {} }
function notJson(context) { return "not json"; }
graphQLRegistry.registerQuery("fine", "type Query { fine: String }", "fine", "external");
graphQLRegistry.registerQuery(
  "broken", "type T { a: Int } type Query { broken: T }", "broken", "external");
graphQLRegistry.registerQuery("slow", "type Query { slow: Int }", "slow", "external");
graphQLRegistry.registerQuery(
  "notJson", "type U { a: Int } type Query { notJson: U }", "notJson", "external");
"""


def test_a_resolver_that_throws_gives_a_field_error_with_path(graphql, upload):
    upload("throws", THROWS)

    response = graphql("{\n  fine\n  broken { a }\n}")

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"fine": "fine", "broken": None}
    (error,) = body["errors"]
    assert error["message"].startswith("TypeError: Cannot read properties of null")
    assert "(throws.js:5:" in error["message"]
    assert error["path"] == ["broken"]
    assert error["locations"] == [{"line": 3, "column": 3}]
    assert error["extensions"] == {"code": "script_runtime_error"}


def test_a_resolver_that_runs_out_of_time_gives_a_field_error(
    graphql, upload, settings, records
):
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": {"http": (0.3, 20)}}
    upload("throws", THROWS)

    response = graphql("{ fine slow }")
    records()

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"fine": "fine", "slow": None}
    (error,) = body["errors"]
    assert error["path"] == ["slow"]
    assert error["extensions"] == {"code": "script_timeout"}
    assert Execution.objects.get(trigger="graphql query slow").status == "timeout"


def test_a_string_that_is_not_json_is_an_error_for_an_object_field(graphql, upload):
    upload("throws", THROWS)

    body = graphql("{ notJson { a } }").json()

    (error,) = body["errors"]
    assert "returned a string that is not JSON" in error["message"]
    assert error["path"] == ["notJson"]


def test_each_resolver_run_is_recorded_as_an_execution(graphql, upload, records):
    upload("throws", THROWS)

    graphql("{ fine }")
    records()

    run = Execution.objects.get(kind="resolver")
    assert (run.script_name, run.handler, run.trigger, run.status) == (
        "throws",
        "fine",
        "graphql query fine",
        "ok",
    )


STORE = """
async function add(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0") + context.args.by;
  sharedStorage.setItem("n", String(n));
  return n;
}
async function current(context) {
  return parseInt((await sharedStorage.getItem("n")) || "0");
}
graphQLRegistry.registerMutation("add", "type Mutation { add(by: Int!): Int! }", "add", "external");
graphQLRegistry.registerQuery("current", "type Query { current: Int! }", "current", "external");
"""


def test_async_resolvers_and_their_writes_work_like_handlers(graphql, upload):
    upload("store", STORE)

    first = graphql("mutation { a: add(by: 2) b: add(by: 3) }").json()
    after = graphql("{ current }").json()

    # Mutations run one after the other, each seeing the one before.
    assert first == {"data": {"a": 2, "b": 5}}
    assert after == {"data": {"current": 5}}


@pytest.mark.parametrize(
    ("value", "field", "expected"),
    [
        ('"plain"', "String", "plain"),
        ('JSON.stringify("quoted")', "String", "quoted"),
        ("JSON.stringify({a: 1})", "String", '{"a":1}'),
        ("JSON.stringify([1, 2])", "[Int]", [1, 2]),
        ("[1, 2]", "[Int]", [1, 2]),
        ('"12"', "Int", 12),
        ("JSON.stringify(null)", "Int", None),
    ],
)
def test_values_and_json_strings_both_work(graphql, upload, value, field, expected):
    upload(
        "values",
        f"function v(context) {{ return {value}; }}\n"
        f'graphQLRegistry.registerQuery("v", "type Query {{ v: {field} }}", "v", '
        '"external");\n',
    )

    assert graphql("{ v }").json() == {"data": {"v": expected}}
