"""graphQLRegistry.executeGraphQL: a Promise of the seed's JSON string."""

import json

from scripts_app.models import LogEntry, Script
from tests.graphql_app.conftest import SEED_USERS, runner


def test_execute_answers_the_json_string_of_data(upload, run_query):
    upload("users", SEED_USERS)
    upload("caller", runner("/run"))

    response = run_query(
        "/run", "query U($id: Int!) { user(id: $id) { name email } }", {"id": 1}
    )

    assert response.json() == {
        "data": {"user": {"name": "Alice", "email": "alice@example.com"}}
    }


def test_execute_reaches_resolvers_of_its_own_script(upload, run_query):
    upload("both", runner("/run", SEED_USERS))

    response = run_query(
        "/run",
        "mutation C($n: String!, $e: String!) { createUser(name: $n, email: $e) "
        "{ name } }",
        {"n": "Ada", "e": "ada@example.com"},
    )

    assert response.json() == {"data": {"createUser": {"name": "Ada"}}}


def test_a_resolver_run_by_a_script_knows_who_called(upload, run_query):
    upload(
        "who",
        "function who(context) {\n"
        "  return context.meta.via + ' ' + context.meta.caller + ' ' + "
        "context.request.auth.userName + ' ' + context.meta.path.join('.');\n"
        "}\n"
        "graphQLRegistry.registerQuery('who', 'type Query { who: String }', 'who', "
        "'engine');\n",
    )
    upload("caller", runner("/run"))

    response = run_query("/run", "{ who }", user="bob")

    assert response.json() == {"data": {"who": "executeGraphQL caller bob who"}}


def test_variables_may_be_an_object_as_well_as_a_json_string(upload, api):
    upload("users", SEED_USERS)
    upload(
        "caller",
        "async function run(context) {\n"
        "  const q = 'query U($id: Int!) { user(id: $id) { name } }';\n"
        "  const a = JSON.parse(await graphQLRegistry.executeGraphQL(q, {id: 1}));\n"
        "  const b = JSON.parse(await graphQLRegistry.executeGraphQL(q, '{\"id\": 2}'));\n"
        "  return { status: 200, body: [a, b] };\n"
        "}\n"
        "routeRegistry.registerRoute('/run', 'run', 'GET');\n",
    )

    response = api().get("/run", HTTP_HOST="acme.test")

    assert response.json() == [
        {"data": {"user": {"name": "Alice"}}},
        {"data": {"user": {"name": "Bob"}}},
    ]


def test_graphql_errors_are_in_the_answer_not_thrown(upload, run_query):
    upload("caller", runner("/run"))

    syntax = run_query("/run", "{ scripts { uri ")
    unknown = run_query("/run", "{ nothing }")

    (error,) = syntax.json()["errors"]
    assert "data" not in syntax.json()
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 17}]
    assert unknown.json()["errors"][0]["message"].startswith(
        "Cannot query field 'nothing'"
    )


def test_platform_fields_answer_with_the_callers_permissions(upload, run_query):
    # The seed's own executeGraphQL examples query the platform's fields.
    upload("caller", runner("/run"))

    signed_in = run_query("/run", "{ scripts { uri chars } }", user="charlie")
    anonymous = run_query("/run", "{ scripts { uri chars } }")

    assert signed_in.json() == {
        "data": {"scripts": [{"uri": "caller", "chars": len(runner("/run"))}]}
    }
    assert anonymous.json()["data"] == {"scripts": None}
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "not_authenticated"


def test_the_seeds_upsert_script_example_works_for_a_developer(upload, run_query):
    upload("caller", runner("/run"))
    mutation = (
        "mutation CreateScript($uri: String!, $content: String!) {"
        " upsertScript(uri: $uri, content: $content) { message uri chars success } }"
    )
    content = "var made = 1;\n"

    made = run_query("/run", mutation, {"uri": "made", "content": content}, user="bob")
    refused = run_query(
        "/run", mutation, {"uri": "made", "content": content}, user="charlie"
    )

    assert made.json() == {
        "data": {
            "upsertScript": {
                "message": "Script created",
                "uri": "made",
                "chars": len(content),
                "success": True,
            }
        }
    }
    assert refused.json()["errors"][0]["extensions"]["code"] == "permission_denied"
    assert Script.objects.get(name="made").source == content


LOOP = """
async function loop(context) {
  const answer = await graphQLRegistry.executeGraphQL("{ loop }");
  const parsed = JSON.parse(answer);
  if (parsed.errors) throw new Error(parsed.errors[0].message);
  return parsed.data.loop + 1;
}
graphQLRegistry.registerQuery("loop", "type Query { loop: Int }", "loop", "external");
"""


def test_a_resolver_querying_itself_is_cut_at_the_depth_limit(
    upload, graphql, settings, records
):
    settings.SCRIPTS = {**settings.SCRIPTS, "DISPATCH_MAX_DEPTH": 3}
    upload("loop", LOOP)

    response = graphql("{ loop }")
    records()

    (error,) = response.json()["errors"]
    assert response.json()["data"] == {"loop": None}
    assert "executeGraphQL was refused" in error["message"]
    assert "4 deep, over the limit of 3 (SCRIPT_DISPATCH_MAX_DEPTH" in error["message"]
    # Resolvers at depth 0 (/graphql), 1, 2 and 3 ran; the fourth call was cut.
    logged = LogEntry.objects.filter(message__startswith="executeGraphQL was refused")
    assert logged.count() == 1


def test_bad_variables_and_load_time_calls_throw_at_once(upload, api):
    upload(
        "caller",
        "function run(context) {\n"
        "  try { graphQLRegistry.executeGraphQL('{ scripts { uri } }', '[1]'); }\n"
        "  catch (e) { return e.message; }\n"
        "}\n"
        "routeRegistry.registerRoute('/run', 'run', 'GET');\n",
    )

    answer = api().get("/run", HTTP_HOST="acme.test").content.decode()
    at_load = upload(
        "early", "graphQLRegistry.executeGraphQL('{ scripts { uri } }');\n"
    )

    assert answer == (
        "executeGraphQL: variables must be an object (or its JSON string), got [1]"
    )
    assert at_load.status_code == 400
    assert "queries cannot run while the script loads" in json.dumps(at_load.json())
