"""Deleting a script while its logs wait to be written loses no one's logs."""

import uuid

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import ROOT, poll, put_script

pytestmark = pytest.mark.server

SHORT_LIVED = """
function run(context) {
  console.log("short-lived ran");
  return "ran";
}
routeRegistry.registerRoute("/short-lived", "run");
"""


@pytest.fixture(scope="module")
def slow_flush_server(installation):
    # A one-second flush interval makes sure the delete lands before the write.
    with launch(installation, SCRIPT_RECORD_FLUSH_SECONDS=1) as running:
        hello = (ROOT / "examples" / "hello.js").read_text()
        assert put_script(running, "hello", hello).status_code in (200, 201)
        yield running


def messages(client, server, script):
    reply = client.get(
        "/system/api/logs", params={"script": script}, headers=server.auth
    )
    assert reply.status_code == 200, reply.text
    return [entry["message"] for entry in reply.json()["results"]]


def test_logs_keep_being_written_after_a_script_is_deleted(slow_flush_server):
    server = slow_flush_server
    name = f"after-delete-{uuid.uuid4().hex[:8]}"
    assert put_script(server, "short-lived", SHORT_LIVED).status_code == 201
    with server.client() as client:
        assert client.get("/short-lived").text == "ran"
        deleted = client.delete("/system/scripts/short-lived", headers=server.auth)
        assert deleted.status_code == 204
        assert client.get("/hello", params={"name": name}).status_code == 200

        hello_logs, waited = poll(
            lambda: messages(client, server, "hello"),
            lambda found: f"Saying hello to {name}" in found,
            within=3.0,
        )
        orphan_logs = messages(client, server, "short-lived")

    assert f"Saying hello to {name}" in hello_logs, (
        f"hello's log missing after {waited:.1f} s:\n{server.output()}"
    )
    assert "short-lived ran" in orphan_logs
