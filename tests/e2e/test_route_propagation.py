"""A route uploaded through one server process is served by another within a second."""

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import poll, put_script

pytestmark = pytest.mark.server

PING = """
function ping(context) {
  return { status: 200, body: { pong: context.request.query.n } };
}
routeRegistry.registerRoute("/propagation/ping", "ping", "GET");
"""


@pytest.fixture(scope="module")
def second_server(installation):
    with launch(installation) as running:
        yield running


def test_second_process_serves_a_new_route_within_a_second(server, second_server):
    with second_server.client() as b:
        # B has loaded its route table before the upload, so this is propagation.
        assert b.get("/propagation/ping").status_code == 404

        uploaded = put_script(server, "propagation", PING)
        assert uploaded.status_code == 201, uploaded.text

        reply, waited = poll(
            lambda: b.get("/propagation/ping", params={"n": "7"}),
            lambda r: r.status_code == 200,
            within=1.0,
        )

    assert reply.status_code == 200, f"still {reply.status_code} after {waited:.2f} s"
    assert reply.json() == {"pong": "7"}


def test_second_process_serves_the_new_version_of_a_replaced_script(
    server, second_server
):
    v1 = 'function v(c) { return "one"; }\nrouteRegistry.registerRoute("/propagation/v", "v");\n'
    v2 = v1.replace('"one"', '"two"')
    assert put_script(server, "propagation-version", v1).status_code in (200, 201)
    with second_server.client() as b:
        first, _ = poll(
            lambda: b.get("/propagation/v"), lambda r: r.text == "one", within=1.0
        )
        assert first.text == "one"

        assert put_script(server, "propagation-version", v2).status_code == 200
        reply, waited = poll(
            lambda: b.get("/propagation/v"), lambda r: r.text == "two", within=1.0
        )

    assert reply.text == "two", f"still {reply.text!r} after {waited:.2f} s"
