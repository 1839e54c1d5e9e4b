"""Live logs across processes: a line logged by one server reaches a panel on another.

Two server processes share one PostgreSQL database and one Redis: the admin's
live-log stream is opened on the first, the script runs on the second, and
the entry that process stores is published through Redis. Runs on the scaled
stack only (DATABASE_URL and REDIS_URL set); under CI=true an unreachable
service fails instead of skipping.
"""

import os

import pytest

from tests.conftest import require_service
from tests.e2e.admin_session import cookie_header, script_pk, signed_in
from tests.e2e.conftest import launch
from tests.e2e.servers import put_script
from tests.e2e.sse import SSE
from tests.e2e.test_live_logs_over_http import SOURCE, until_message

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="embedded stack: DATABASE_URL and REDIS_URL are not both set",
    ),
]


@pytest.fixture(scope="module")
def pair(installation):
    """Two server processes serving the same database, one Redis between them."""
    from tests.test_stack import redis_reachable

    require_service("Redis", redis_reachable())
    settings = {"SCRIPT_STREAM_KEEPALIVE_SECONDS": 0.5}
    with (
        launch(installation, **settings) as one,
        launch(installation, **settings) as two,
    ):
        assert put_script(one, "live-shout", SOURCE).status_code in (200, 201)
        yield one, two


def test_a_line_logged_in_another_process_reaches_the_stream(pair):
    one, two = pair
    with signed_in(one) as admin:
        pk = script_pk(admin, "live-shout")
        headers = cookie_header(admin)
    url = f"{one.url}/system/admin/scripts_app/script/{pk}/logs/live/"
    with SSE(url, headers=headers) as stream:
        stream.wait_connected()
        with two.client() as visitor:
            reply = visitor.get("/live-logs/shout", params={"text": "from two"})
        assert reply.text == "ok"
        entry = until_message(stream, "live from two")
    assert entry["level"] == "WARN"


def test_a_line_logged_by_manage_py_reaches_the_stream(pair, installation):
    one, _ = pair
    with signed_in(one) as admin:
        pk = script_pk(admin, "live-shout")
        headers = cookie_header(admin)
    url = f"{one.url}/system/admin/scripts_app/script/{pk}/logs/live/"
    with SSE(url, headers=headers) as stream:
        stream.wait_connected()
        # A one-off process: it stores its entries as it exits.
        installation.manage(
            "run_script",
            "live-shout",
            "--handler",
            "note",
            "--args",
            '{"text": "from manage.py"}',
        )
        entry = until_message(stream, "live from manage.py")
    assert entry["level"] == "WARN"
