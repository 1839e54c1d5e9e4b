"""Scripts with a Predix `@execution` header run in strict mode (predix-scripts.md).

The seed: "All Scripts execute with strict mode enabled regardless of whether
or not the `use strict` directive is present." Scripts without the header run
as written. Errors keep the line numbers of the uploaded source.
"""

HOST = "acme.test"

HEADER = """/**
 * Counts visits, forgetting to declare its variable.
 *
 * @name      Counter
 * @execution custom
 * @methods   GET
 */
"""
BODY = """function count(context) {
  visits = (typeof visits === "number" ? visits : 0) + 1;
  return "visits: " + visits;
}
routeRegistry.registerRoute("/counter", "count", "GET");
"""


def test_a_predix_script_assigning_an_undeclared_variable_fails(upload, api):
    assert upload("counter", HEADER + BODY).status_code == 201

    reply = api(host=HOST).get("/counter")

    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "script_runtime_error"
    assert "ReferenceError: visits is not defined" in error["message"]
    # Line 9 of the uploaded source: the header's 7 lines, then line 2 of BODY.
    assert "counter.js:9:10" in error["message"]


def test_the_same_script_without_the_header_runs_sloppy(upload, api):
    assert upload("counter", BODY).status_code == 201

    reply = api(host=HOST).get("/counter")

    assert (reply.status_code, reply.content) == (200, b"visits: 1")


def test_a_strict_top_level_error_refuses_the_upload_at_its_line(upload):
    reply = upload("leaky", HEADER + "leaked = 1;\n")

    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "init_failed"
    assert "leaked is not defined" in error["message"]
    assert (error["line"], error["column"]) == (8, 8)
