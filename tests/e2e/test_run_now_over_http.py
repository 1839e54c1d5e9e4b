"""Run now through the real entry points: REST over HTTP, manage.py run_script.

On the scaled stack (DATABASE_URL and REDIS_URL) a run answered with 202 is
polled through a uvicorn with two worker processes, so the poll may reach the
process that is not running it.
"""

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.conftest import require_service
from tests.e2e.conftest import launch
from tests.e2e.servers import ROOT, poll, put_script

pytestmark = pytest.mark.server

ONE_OFF = """/**
 * @type one-off
 */
async function main(context) {
  console.log("one-off for " + context.tenant.name);
  return {ran: context.args.tag, by: context.execution.triggeredBy};
}

function slow(context) {
  const end = Date.now() + context.args.ms;
  while (Date.now() < end) {}
  return {slept: context.args.ms};
}

function fails() {
  throw new Error("one-off failed");
}
"""


@pytest.fixture(scope="module")
def one_off(server):
    assert put_script(server, "e2e-one-off", ONE_OFF).status_code in (200, 201)
    return "e2e-one-off"


def _post_run(server, script, body, **params):
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        return client.post(
            f"/system/api/scripts/{script}/run",
            json=body,
            params=params,
            headers=server.auth,
        )


def test_a_run_answers_its_result_over_http(server, one_off):
    tag = uuid.uuid4().hex[:8]
    reply = _post_run(server, one_off, {"args": {"tag": tag}})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["status"], body["handler"]) == ("ok", "main"), body["error"]
    assert body["result"] == {"ran": tag, "by": "api"}
    assert [e["message"] for e in body["logs"]] == ["one-off for Default"]


def test_a_thrown_error_is_reported_with_its_line_over_http(server, one_off):
    reply = _post_run(server, one_off, {"handler": "fails"})
    assert reply.status_code == 200, reply.text
    error = reply.json()["error"]
    line = ONE_OFF.splitlines().index('  throw new Error("one-off failed");') + 1
    assert (error["code"], error["line"]) == ("runtime_error", line)


def _polled_to_the_end(server, location):
    with server.client() as client:

        def fetch():
            reply = client.get(location, headers=server.auth)
            assert reply.status_code == 200, reply.text
            return reply.json()

        return poll(fetch, lambda b: b["status"] != "running", within=20.0)[0]


def test_a_long_run_answers_202_and_ends_in_the_background(server, one_off):
    reply = _post_run(server, one_off, {"handler": "slow", "args": {"ms": 800}}, wait=0)
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "running"
    done = _polled_to_the_end(server, reply.headers["Location"])
    assert (done["status"], done["result"]) == ("ok", {"slept": 800})


def test_polling_reaches_any_worker_on_the_scaled_stack(installation):
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.skip("embedded stack: one process serves every poll")
    from tests.test_stack import redis_reachable

    require_service("Redis", redis_reachable())
    with launch(installation, workers=2) as scaled:
        assert put_script(scaled, "e2e-one-off-2", ONE_OFF).status_code in (200, 201)
        reply = _post_run(
            scaled, "e2e-one-off-2", {"handler": "slow", "args": {"ms": 1500}}, wait=0
        )
        assert reply.status_code == 202, reply.text
        location = reply.headers["Location"]
        # Many polls while it runs: each worker must know it is running.
        with scaled.client() as client:
            seen = {
                client.get(location, headers=scaled.auth).json()["status"]
                for _ in range(10)
            }
        assert seen <= {"running", "ok"}
        done = _polled_to_the_end(scaled, location)
        assert (done["status"], done["result"]) == ("ok", {"slept": 1500})


def _run_script(installation, *args):
    return subprocess.run(
        [sys.executable, "manage.py", "run_script", *args],
        cwd=ROOT,
        env=installation.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_run_script_prints_the_result_and_exits_0_or_1(
    server, installation, one_off
):
    tag = uuid.uuid4().hex[:8]
    done = _run_script(installation, one_off, "--args", f'{{"tag": "{tag}"}}')
    assert done.returncode == 0, done.stderr
    assert "[LOG] one-off for Default" in done.stdout
    assert f'"ran": "{tag}"' in done.stdout
    assert '"by": "manual"' in done.stdout

    failed = _run_script(installation, one_off, "--handler", "fails")
    assert failed.returncode == 1
    assert "one-off failed" in failed.stderr
    assert "e2e-one-off.js:" in failed.stderr

    bad = _run_script(installation, one_off, "--args", "[1,")
    assert bad.returncode == 1
    assert "args is not valid JSON" in bad.stderr

    missing = _run_script(installation, "no-such-script")
    assert missing.returncode == 1
    assert "No script 'no-such-script'" in missing.stderr

    # Both runs that ran left their records (written as the process exited).
    with server.client() as client:
        runs = client.get(
            "/system/api/executions",
            params={"script": one_off, "triggered_by": "manual"},
            headers=server.auth,
        ).json()["results"]
    assert {(r["handler"], r["status"]) for r in runs} == {
        ("main", "ok"),
        ("fails", "error"),
    }
