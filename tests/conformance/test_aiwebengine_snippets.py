"""The aiwebengine seed's smaller snippets, verbatim: a handler's context and
request, response objects, resolver functions, a scheduled handler's
context, error handling.

As in test_aiwebengine.py, a test adds only what the seed leaves out, after
the block: how a handler is reached (a registerRoute line), names a snippet
uses without defining (findUserById, generateId), and a handler around the
Response Examples' bare `return` statements. The seed's browser-side blocks
(Client-Side Connection, GraphQL Client Usage) are not scripts; the two
Dispatcher Best Practices lines are covered by the dispatcher's own tests.
"""

import json

import pytest

from tests.conformance.seeds import fixture

conforms = pytest.mark.conforms

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(upload, api):
    def put(name, text):
        response = upload(f"conformance-snippet-{name}", text)
        assert response.status_code in (200, 201), response.content
        return lambda method, path, **kwargs: api("alice", "acme.test").generic(
            method, path, **kwargs
        )

    return put


def logs(records, name):
    from scripts_app.models import LogEntry

    records()
    return [
        e.message
        for e in LogEntry.objects.filter(
            script_name=f"conformance-snippet-{name}"
        ).order_by("time", "id")
    ]


def route(path, handler, method="GET"):
    return f'\nrouteRegistry.registerRoute("{path}", "{handler}", "{method}");\n'


@conforms("handler context and request (context.request, req.method/path/query/form)")
def test_the_unified_handler_context_is_read_without_error(run, records):
    call = run(
        "context",
        fixture("aiwebengine", "handler_context") + route("/ctx", "myHandler"),
    )

    reply = call("GET", "/ctx?x=1")

    # It reads the request and returns nothing (the seed's template leaves the
    # answer to you): 200 with an empty body, as the reference implementation
    # answers, and the script's log says what to return.
    assert (reply.status_code, reply.content) == (200, b"")
    assert logs(records, "context") == [
        "Handler 'myHandler' returned nothing; answered 200 with an empty body "
        "(return a response object {status, body} or a string)"
    ]


@conforms("handler context and request (context.request, req.method/path/query/form)")
def test_the_request_examples_log_what_the_seed_says(run, records):
    call = run(
        "requests",
        fixture("aiwebengine", "request_example_get")
        + fixture("aiwebengine", "request_example_post")
        + route("/search", "exampleHandler")
        + route("/submit", "postHandler", "POST"),
    )

    got = call("GET", "/search?q=javascript&page=1")
    posted = call(
        "POST",
        "/submit",
        data="name=John&email=john%40example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert (got.status_code, got.content) == (200, b"OK")
    assert (posted.status_code, posted.content) == (200, b"Form received")
    said = logs(records, "requests")
    assert said[:2] == ["GET", "/search"]
    assert json.loads(said[2]) == {"q": "javascript", "page": "1"}
    assert json.loads(said[3]) == {}
    assert json.loads(said[4]) == {"name": "John", "email": "john@example.com"}


@conforms("console.log(message)", "response objects ({status, body, contentType})")
def test_the_console_log_handler_logs_and_answers(run, records):
    call = run(
        "logged",
        fixture("aiwebengine", "console_log_handler") + route("/logged", "myHandler"),
    )

    reply = call("GET", "/logged")

    assert (reply.status_code, reply.content) == (200, b"Logged")
    assert reply["Content-Type"] == "text/plain; charset=UTF-8"
    assert logs(records, "logged") == ["Handler called with path: /logged"]


@conforms("response objects ({status, body, contentType})")
def test_the_response_examples_first_return_is_sent(run):
    body = fixture("aiwebengine", "response_examples")
    call = run(
        "responses", "function respond(req) {\n" + body + "}\n" + route("/r", "respond")
    )

    reply = call("GET", "/r")

    assert (reply.status_code, reply.content) == (200, b"Hello World")
    assert reply["Content-Type"] == "text/plain; charset=UTF-8"


@conforms("GraphQL resolver functions (args)")
def test_the_resolver_functions_answer_a_query_and_a_mutation(run, api):
    run(
        "resolvers",
        fixture("aiwebengine", "resolver_functions")
        + """
const people = { 1: { id: 1, name: "Ada", email: "ada@example.com" } };
function findUserById(id) { return people[id] || null; }
let lastId = 100;
function generateId() { lastId += 1; return lastId; }
graphQLRegistry.registerQuery("snippetUser",
  "type SnippetUser { id: Int name: String email: String } "
  + "type Query { snippetUser(id: Int!): SnippetUser }", "getUserById", "external");
graphQLRegistry.registerMutation("snippetCreateUser",
  "type Mutation { snippetCreateUser(name: String!, email: String!): SnippetUser }",
  "createUser", "external");
""",
    )

    def graphql(query):
        reply = api("alice", "acme.test").post(
            "/graphql", {"query": query}, format="json"
        )
        assert reply.status_code == 200, reply.content
        return reply.json()

    found = graphql("{ snippetUser(id: 1) { id name email } }")
    missing = graphql("{ snippetUser(id: 2) { id } }")
    created = graphql(
        'mutation { snippetCreateUser(name: "Bo", email: "bo@example.com") { id name email } }'
    )

    assert found == {
        "data": {"snippetUser": {"id": 1, "name": "Ada", "email": "ada@example.com"}}
    }
    assert missing == {"data": {"snippetUser": None}}
    assert created == {
        "data": {
            "snippetCreateUser": {"id": 101, "name": "Bo", "email": "bo@example.com"}
        }
    }


@conforms("error handling in handlers (try/catch, status codes)")
def test_the_safe_handler_answers_400_then_200(run):
    call = run(
        "safe", fixture("aiwebengine", "error_handling") + route("/safe", "safeHandler")
    )

    missing = call("GET", "/safe")
    present = call("GET", "/safe?id=7")

    assert (missing.status_code, missing.content) == (400, b"Missing id parameter")
    assert (present.status_code, present.content) == (200, b"Success")


@conforms("scheduled handler context (context.meta.schedule)")
def test_a_scheduled_handler_reads_its_schedule(upload, records):
    from asgiref.sync import async_to_sync

    from scheduler_app import runner
    from scheduler_app.models import Job
    from scripts_app.models import Script

    source = fixture("aiwebengine", "scheduled_handler_context") + (
        "\nfunction init(context) {\n"
        '  schedulerService.registerOnce({handler: "sendReport", '
        'runAt: "2099-01-01T09:00:00Z", name: "nightly-report"});\n}\n'
    )
    upload("conformance-snippet-report", source)
    Script.objects.filter(name="conformance-snippet-report").update(privileged=True)
    upload("conformance-snippet-report", source)
    (job,) = Job.objects.filter(script__name="conformance-snippet-report")

    outcome = async_to_sync(runner.run_job)(job.id, job.next_run_at)

    assert outcome.error is None
    assert outcome.value == {"status": 200, "body": "OK"}
    assert logs(records, "report")[-1] == (
        f"Running job nightly-report ({job.id}) at 2099-01-01T09:00:00Z"
    )
