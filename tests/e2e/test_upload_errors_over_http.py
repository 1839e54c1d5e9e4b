"""A script that does not compile is refused with its line and column (R12)."""

import pytest

from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

BROKEN = """function broken(context) {
  return 1 +;
}
routeRegistry.registerRoute("/broken", "broken", "GET");
"""


def test_upload_with_syntax_error_reports_line_and_column(server):
    reply = put_script(server, "broken", BROKEN)

    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "compile_error"
    assert (error["line"], error["column"]) == (2, 13)
    assert "line 2, column 13" in error["message"]
    assert error["requestId"] == reply.headers["x-request-id"]


def test_refused_upload_stores_nothing(server):
    put_script(server, "broken-twice", BROKEN)

    with server.client() as client:
        listed = client.get("/system/scripts", headers=server.auth).json()
        route = client.get("/broken")

    assert "broken-twice" not in [script["id"] for script in listed]
    assert route.status_code == 404


# init() registers one good route and one bad stream route, each inside the
# script's own try/catch (issue 13): the upload goes through with a warning.
GOOD_AND_BAD = """function hello(context) {
  return "hello";
}
function init(context) {
  try {
    routeRegistry.registerRoute("/warned/hello", "hello", "GET");
    routeRegistry.registerStreamRoute("no-slash");
  } catch (e) {
    console.log("registration threw: " + e);
  }
  return { success: true };
}
"""


def test_a_failed_registration_is_a_warning_and_the_good_route_serves(server):
    reply = put_script(server, "warned", GOOD_AND_BAD)

    with server.client() as client:
        served = client.get("/warned/hello")

    assert reply.status_code == 201, reply.text
    assert reply.json()["warnings"] == ["path must start with '/': no-slash"]
    assert (served.status_code, served.text) == (200, "hello")


def test_an_init_that_throws_still_refuses_the_upload(server):
    reply = put_script(
        server, "init-throws", "function init() { throw new Error('no'); }"
    )

    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "init_failed"
