"""Scripts with a Predix `@execution` header run in strict mode (predix-scripts.md).

The seed: "All Scripts execute with strict mode enabled regardless of whether
or not the `use strict` directive is present." Scripts without the header run
as written. A Predix script is a coroutine body run per trigger
(triggers_app), not at upload; errors keep the line numbers of the uploaded
source.
"""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "acme.test"

HEADER = """/**
 * Counts visits, forgetting to declare its variable.
 *
 * @name      Counter
 * @execution custom
 * @methods   GET
 */
"""
BODY = """visits = (typeof visits === "number" ? visits : 0) + 1;
$.setResponse({status: 200, body: "visits: " + visits});
"""
MODULE = """function count(context) {
  visits = (typeof visits === "number" ? visits : 0) + 1;
  return "visits: " + visits;
}
routeRegistry.registerRoute("/counter", "count", "GET");
"""


def bind(api, script):
    reply = api("bob").post(
        "/system/triggers",
        {
            "uri": "/system/triggers/counter",
            "onReferenceTo": "/custom/counter",
            "methods": ["GET"],
            "script": script,
        },
        format="json",
    )
    assert reply.status_code == 201, reply.content


def test_a_predix_script_assigning_an_undeclared_variable_fails(upload, api):
    assert upload("counter", HEADER + BODY).status_code == 201
    bind(api, "counter")

    reply = api("bob").get("/custom/counter")

    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "trigger_failed"
    assert "ReferenceError: visits is not defined" in error["message"]
    # Line 8 of the uploaded source: the header's 7 lines, then line 1 of BODY.
    assert "counter.js:8:8" in error["message"]


def test_the_same_code_without_the_header_runs_sloppy(upload, api):
    assert upload("counter", MODULE).status_code == 201

    reply = api(host=HOST).get("/counter")

    assert (reply.status_code, reply.content) == (200, b"visits: 1")


def test_a_predix_body_is_not_run_at_upload(upload):
    # Its globals (o, parameters, $ calls) exist only when a trigger runs it.
    reply = upload("lazy", HEADER + "o.seen = parameters.x;\n")

    assert reply.status_code == 201


def test_a_predix_body_that_does_not_compile_is_refused_at_its_line(upload):
    reply = upload("broken", HEADER + "let x = ;\n")

    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "compile_error"
    assert (error["line"], error["column"]) == (8, 9)


def test_top_level_yield_and_return_are_allowed_in_a_body(upload, api):
    source = HEADER + (
        "let r = yield $.get('/assets');\n"
        "if (r.body.length === 0) { $.setResponse({status: 200, body: 'empty'}); return; }\n"
        "$.setResponse({status: 200, body: 'some'});\n"
    )
    assert upload("counter", source).status_code == 201
    bind(api, "counter")

    reply = api("bob").get("/custom/counter")

    assert reply.json() == "empty"


def test_string_contains_from_the_seeds_es6_list(upload, api):
    source = (
        HEADER
        + "$.setResponse({status: 200, body: ['pump-1'.contains('mp'), 'a'.contains('b')]});\n"
    )
    assert upload("counter", source).status_code == 201
    bind(api, "counter")

    assert api("bob").get("/custom/counter").json() == [True, False]
