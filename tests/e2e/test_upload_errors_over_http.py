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
