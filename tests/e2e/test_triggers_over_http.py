"""Predix triggers and IOTA's db over real HTTP, through the ASGI server.

Post-processing runs after the response has gone: in the serving process on
the embedded stack, on a real Celery worker (a subprocess, on a queue of
this module's own) on the scaled stack;
the seed's example validates links; a custom endpoint answers; 50 concurrent
db.update read-modify-writes lose no update (R5).
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager

import httpx
import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import ROOT, poll, put_script

pytestmark = pytest.mark.server

VALIDATE_LINKS = """'use strict';

/**
 * Cancels a request if one or more properties do not link to an entity.
 *
 * @name      ValidateLinksExist
 * @author    John Doe
 * @execution pre-processing
 * @methods   POST, PUT
 *
 * @param {Array<String>} properties - Properties that must link to an entity.
 */

for (let p of parameters.properties) {
  let linkUri = o[p];
  if (!linkUri) {
    $.cancelRequest(o.uri + ' does not have a ' + p + ' property');
  }
  else {
    let response = yield $.get(linkUri);
    if (response.body.length < 1) {
      $.cancelRequest(o.uri + ' ' + p + ' property does not link to entity');
    }
  }
}
"""

AUDIT = """/**
 * @execution post-processing
 * @methods POST, PUT
 */
const r = yield $.put('/e2e-audit/' + o.uri.split('/')[2], {of: o.uri, at: utils.date.now()});
$.log('audited ' + o.uri + ': ' + r.statusCode);
"""

REPORT = """/**
 * @execution custom
 * @methods GET
 */
const pumps = yield $.get('/e2e-pumps');
$.setResponse({status: 200, body: {pumps: pumps.body.length}});
"""

COUNTER = """
async function bump(context) {
  const row = await db.findOne("e2e-counters", {id: "hits"});
  const n = (row ? row.n : 0) + 1;
  if (row) await db.update("e2e-counters", "hits", {n: n});
  else await db.insert("e2e-counters", {id: "hits", n: n});
  return {status: 200, body: {n: n}};
}
routeRegistry.registerRoute("/e2e/bump", "bump", "POST");
"""


@contextmanager
def celery_worker(installation, queue):
    """A real `celery -A config worker` on `queue` while the block runs."""
    log = (installation.var_dir / "post-processing-worker.log").open("ab")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=installation.env(
            SCRIPTHOST_CELERY_QUEUE=queue, LOG_LEVEL="INFO", PYTHONUNBUFFERED="1"
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield worker
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        log.close()


@pytest.fixture(scope="module")
def stack(installation, server):
    """(the server whose post-processing the test watches, start_worker):
    start_worker() starts the Celery worker of the scaled stack (a context
    manager); on the embedded stack the serving process runs post-processing
    and it does nothing."""
    if not os.environ.get("REDIS_URL"):
        yield server, None
        return
    queue = f"test-post-{uuid.uuid4().hex[:8]}"
    with launch(installation, SCRIPTHOST_CELERY_QUEUE=queue) as scaled:
        yield scaled, lambda: celery_worker(installation, queue)


def post_trigger(client, auth, body):
    reply = client.post("/system/triggers", json=body, headers=auth)
    assert reply.status_code in (200, 201), reply.text


def test_pre_and_post_processing_and_messages(stack):
    server, start_worker = stack
    assert put_script(server, "e2e-links", VALIDATE_LINKS).status_code == 201
    assert put_script(server, "e2e-audit", AUDIT).status_code == 201
    auth = server.auth
    with server.client() as client:
        post_trigger(
            client,
            auth,
            [
                {
                    "uri": "/system/triggers/e2e-links",
                    "onReferenceTo": "/e2e-assets",
                    "methods": ["POST", "PUT"],
                    "script": "/system/scripts/e2e-links",
                    "scriptParameters": {"properties": ["site"]},
                },
                {
                    "uri": "/system/triggers/e2e-audit",
                    "onReferenceTo": "/e2e-assets",
                    "methods": ["POST"],
                    "script": "e2e-audit",
                },
            ],
        )
        refused = client.post(
            "/store/e2e-assets", json={"uri": "/e2e-assets/p1"}, headers=auth
        )
        client.put("/store/e2e-sites/north", json={}, headers=auth)
        stored = client.post(
            "/store/e2e-assets",
            json=[
                {"uri": "/e2e-assets/p1", "site": "/e2e-sites/north"},
                {"uri": "/e2e-assets/p2", "site": "/e2e-sites/north"},
            ],
            headers=auth,
        )
        if start_worker is not None:
            # The scaled stack: nothing runs them until a Celery worker does.
            waiting, _ = poll(
                lambda: client.get("/store/e2e-audit", headers=auth).json(),
                lambda rows: len(rows) > 0,
                within=3,
            )
            assert waiting == []
            worker = start_worker()
            worker.__enter__()
        try:
            audit, _ = poll(
                lambda: client.get("/store/e2e-audit", headers=auth).json(),
                lambda rows: len(rows) == 2,
                within=30,
            )
            # Each run's report is written when it ends, after its write.
            messages, _ = poll(
                lambda: client.get(
                    "/system/messages?script=e2e-audit", headers=auth
                ).json(),
                lambda found: sum(len(m["postProcessing"]) for m in found) == 2,
                within=10,
            )
        finally:
            if start_worker is not None:
                worker.__exit__(None, None, None)

    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == (
        "/e2e-assets/p1 does not have a site property"
    )
    assert stored.status_code == 201
    assert sorted(a["of"] for a in audit) == ["/e2e-assets/p1", "/e2e-assets/p2"]
    said = sorted(
        m for msg in messages for r in msg["postProcessing"] for m in r["messages"]
    )
    assert said == ["audited /e2e-assets/p1: 201", "audited /e2e-assets/p2: 201"]


def test_a_custom_endpoint(server):
    assert put_script(server, "e2e-report", REPORT).status_code == 201
    auth = server.auth
    with server.client() as client:
        post_trigger(
            client,
            auth,
            {
                "uri": "/system/triggers/e2e-report",
                "onReferenceTo": "/custom/e2e-report",
                "methods": ["GET"],
                "script": "e2e-report",
            },
        )
        client.post(
            "/store/e2e-pumps",
            json=[{"uri": "/e2e-pumps/a"}, {"uri": "/e2e-pumps/b"}],
            headers=auth,
        )
        reply = client.get("/custom/e2e-report", headers=auth)
        anonymous = client.get("/custom/e2e-report")

    assert reply.json() == {"pumps": 2}
    assert anonymous.status_code == 401


async def bump_concurrently(url, times, auth):
    limits = httpx.Limits(max_connections=times)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        return await asyncio.gather(*(client.post("/e2e/bump") for _ in range(times)))


def assert_no_update_is_lost(server, times=50):
    assert put_script(server, "e2e-db-counter", COUNTER).status_code == 201
    replies = asyncio.run(bump_concurrently(server.url, times, server.auth))

    assert [r.status_code for r in replies] == [200] * times, [
        r.text for r in replies if r.status_code != 200
    ][:3]
    assert sorted(r.json()["n"] for r in replies) == list(range(1, times + 1))


def test_fifty_concurrent_db_updates_lose_nothing_across_two_workers(installation):
    with launch(installation, workers=2) as server:
        assert_no_update_is_lost(server)
