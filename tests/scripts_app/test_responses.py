"""What a handler returns becomes the HTTP response (R11), errors included (R12)."""

import base64

import pytest

from tests.scripts_app.test_routing_http import Caller

SOURCE = """\
function jsonBody() { return { status: 201, body: { ok: true, n: [1, 2] } }; }
function typed() { return { body: "<p>hi</p>", contentType: "text/html; charset=UTF-8" }; }
function custom() {
  return {
    status: 202,
    body: "a,b",
    headers: { "X-Thing": "one", "Content-Type": "text/csv", "Content-Length": "999" },
  };
}
function framed() { return { body: "x", headers: { "X-Frame-Options": "SAMEORIGIN" } }; }
function binary() { return { bodyBase64: "AAEC/w==" }; }
function bare() { return "just text"; }
async function later() { await null; return { status: 200, body: { later: true } }; }
function redirect() { return ResponseBuilder.redirect("/elsewhere"); }
function badStatus() { return { status: 99, body: "x" }; }
function badHeaderName() { return { body: "x", headers: { "Bad Header": "v" } }; }
function headerInjection() { return { body: "x", headers: { "X-A": "a\\r\\nSet-Cookie: e=1" } }; }
function badBase64() { return { bodyBase64: "not base64!" }; }
function nothing() {}
function informational() { return { status: 101, body: "x" }; }
function emptied() { return { status: 204, body: "ignored" }; }
function thrownString() { throw "plain string"; }
// Exists at upload (a route to a missing function is refused then), gone later.
var ghost = function () { return "here"; };
function vanish() { ghost = undefined; return "gone"; }
function boom(context) {
  const x = context.request.query.x;
  throw new TypeError("boom " + x);
}
const paths = {
  "/json": "jsonBody", "/typed": "typed", "/with-headers": "custom", "/framed": "framed",
  "/binary": "binary", "/bare": "bare", "/later": "later", "/redirect": "redirect",
  "/bad-status": "badStatus", "/bad-header-name": "badHeaderName",
  "/header-injection": "headerInjection", "/bad-base64": "badBase64",
  "/nothing": "nothing", "/boom": "boom", "/ghost": "ghost", "/vanish": "vanish",
  "/informational": "informational", "/emptied": "emptied", "/thrown-string": "thrownString",
};
for (const path of Object.keys(paths)) routeRegistry.registerRoute(path, paths[path], "GET");
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["fast path", "django view"])
def send(request, upload):
    response = upload("responses", SOURCE)
    assert response.status_code == 201, response.content
    return Caller(request.param)


def script_error(r, status=500):
    assert r.status_code == status, r.content
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["requestId"] == r.headers["x-request-id"]
    return error


async def test_object_body_is_sent_as_json_with_the_status(send):
    r = await send("GET", "/json")
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"ok": True, "n": [1, 2]}


async def test_content_type_is_used_and_status_defaults_to_200(send):
    r = await send("GET", "/typed")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=UTF-8"
    assert r.content == b"<p>hi</p>"


async def test_custom_headers_are_sent_and_content_length_is_the_platforms(send):
    r = await send("GET", "/with-headers")
    assert r.status_code == 202
    assert r.headers["x-thing"] == "one"
    assert r.headers["content-type"] == "text/csv"
    assert r.headers["content-length"] == "3"
    assert r.content == b"a,b"


async def test_platform_security_headers_are_added_unless_the_script_sets_them(send):
    r = await send("GET", "/framed")
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


async def test_body_base64_is_decoded_and_defaults_to_octet_stream(send):
    r = await send("GET", "/binary")
    assert r.content == base64.b64decode("AAEC/w==")
    assert r.headers["content-type"] == "application/octet-stream"


async def test_bare_string_is_200_plain_text(send):
    r = await send("GET", "/bare")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=UTF-8"
    assert r.content == b"just text"


async def test_async_handler_result_is_awaited(send):
    r = await send("GET", "/later")
    assert r.json() == {"later": True}


async def test_no_content_status_sends_no_body_whatever_the_script_says(send):
    r = await send("GET", "/emptied")
    assert r.status_code == 204
    assert r.content == b""


async def test_response_builder_redirect_sets_location(send):
    r = await send("GET", "/redirect")
    assert r.status_code == 302
    assert r.headers["location"] == "/elsewhere"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/bad-status", "Handler 'badStatus' returned an invalid status: 99"),
        (
            "/informational",
            "Handler 'informational' returned an invalid status: 101",
        ),
        (
            "/bad-header-name",
            "Handler 'badHeaderName' returned an invalid header name: 'Bad Header'",
        ),
        ("/header-injection", "Header 'X-A' contains a line break"),
        ("/bad-base64", "Handler 'badBase64' returned invalid bodyBase64"),
    ],
)
async def test_invalid_response_from_script_is_500_with_a_clear_message(
    send, path, expected
):
    error = script_error(await send("GET", path))
    assert error["code"] == "script_bad_response"
    assert error["message"] == expected


async def test_handler_returning_nothing_is_200_with_an_empty_body(send):
    # As the reference implementation answers (its execution log says what to
    # return: test_logs_executions).
    r = await send("GET", "/nothing")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=UTF-8"
    assert r.content == b""


async def test_runtime_error_is_500_with_message_and_source_position(send):
    line_no = next(
        n for n, line in enumerate(SOURCE.splitlines(), 1) if "throw new" in line
    )
    column = SOURCE.splitlines()[line_no - 1].index("new TypeError") + 1
    error = script_error(await send("GET", "/boom?x=7"))
    assert error["code"] == "script_runtime_error"
    assert error["message"] == f"TypeError: boom 7 (responses.js:{line_no}:{column})"


async def test_route_whose_function_disappeared_is_500_naming_the_handler(send):
    assert (await send("GET", "/vanish")).status_code == 200
    error = script_error(await send("GET", "/ghost"))
    assert error["code"] == "script_handler_not_found"
    assert error["message"] == (
        "Handler 'ghost' of route /ghost is not a function in responses.js"
    )


async def test_thrown_non_error_is_500_with_its_text(send):
    error = script_error(await send("GET", "/thrown-string"))
    assert error["code"] == "script_runtime_error"
    assert "plain string" in error["message"]


def test_error_position_without_a_column_still_names_file_and_line():
    from engine import ScriptRuntimeError
    from scripts_app.executions import error_text
    from scripts_app.routing import RouteTarget

    target = RouteTarget(1, "lib.js", 1, "h", "/x")
    err = ScriptRuntimeError("RangeError: too far", line=3, column=None)
    assert error_text(err, target) == "RangeError: too far (lib.js:3)"
