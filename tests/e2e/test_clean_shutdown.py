"""A server stopped with SIGTERM or SIGINT writes its buffered logs before exiting.

Covers `manage.py serve` (uvicorn in one process, what `make run` starts) and
uvicorn with several worker processes (the scaled stack in docs/operations.md).
"""

import signal
import uuid

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import ROOT, put_script

pytestmark = pytest.mark.server

HELLO = (ROOT / "examples" / "hello.js").read_text()


def api_results(server, path: str, **params) -> list[dict]:
    with server.client() as client:
        reply = client.get(path, params=params, headers=server.auth)
    assert reply.status_code == 200, reply.text
    return reply.json()["results"]


def logged(server) -> dict[str, str]:
    """Map each hello log message to its execution id."""
    entries = api_results(server, "/system/api/logs", script="hello", limit=1000)
    return {entry["message"]: entry["execution_id"] for entry in entries}


@pytest.mark.parametrize(
    "workers,sig",
    [(0, signal.SIGTERM), (0, signal.SIGINT), (2, signal.SIGTERM)],
    ids=["serve-TERM", "serve-INT", "uvicorn-2-workers-TERM"],
)
def test_logs_written_just_before_shutdown_are_kept(installation, server, workers, sig):
    assert put_script(server, "hello", HELLO).status_code in (200, 201)
    names = [f"shutdown-{uuid.uuid4().hex[:8]}" for _ in range(6)]
    # A flush interval far beyond the test keeps everything in memory until exit.
    with launch(installation, workers, SCRIPT_RECORD_FLUSH_SECONDS=600) as doomed:
        with doomed.client() as client:
            for name in names:
                assert client.get("/hello", params={"name": name}).text == (
                    f"Hello, {name}!"
                )
        before = logged(server)
        status = doomed.stop(sig)

    after = logged(server)
    expected = [f"Saying hello to {name}" for name in names]
    assert not set(expected) & set(before), "the rows were written before shutdown"
    assert set(expected) <= set(after), doomed.output()
    assert status == 0, doomed.output()
    for message in expected:
        runs = api_results(server, "/system/api/executions", execution=after[message])
        assert [(run["status"], run["response_status"]) for run in runs] == [
            ("ok", 200)
        ]
