"""Shared fixtures: the cast, authenticated clients, fresh caches per test."""

import os

import pytest

from tests.cast import make_cast

HELLO = """
function hello(context) {
  const name = context.request.query.name || "world";
  console.log("hello " + name);
  return "Hello, " + name + "!";
}
routeRegistry.registerRoute("/hello", "hello", "GET");
"""


def require_service(name, available):
    """Skip when a scaled-stack service is missing, but fail under CI=true."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required on CI but is not reachable")
    pytest.skip(f"{name} is not configured")


@pytest.fixture(autouse=True)
def _fresh_platform_state(settings):
    # Records are written by flush() in the test's own thread (no writer thread),
    # and per-process caches start empty: ids are reused after each rollback.
    from django.urls import set_script_prefix

    from scripts_app.records import buffer
    from scripts_app.sources import forget_sources
    from tenants.resolve import invalidate_all

    # Post-processing runs in the test's process; the scaled stack's Celery
    # path has its own test with a real worker (tests/e2e/test_triggers_over_http.py).
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "RECORD_FLUSH_SECONDS": 0,
        "POST_PROCESSING_ON_CELERY": False,
    }
    # The cast's passwords need no real hashing; this halves the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rows still queued from an earlier test would land in this test's tenants,
    # and every cache (tenants, routes, listeners, streams, operations...) would
    # keep rows whose ids come back after each rollback.
    resets = (
        invalidate_all,
        buffer().clear,
        forget_sources,
    )
    for reset in resets:
        reset()
    yield
    for reset in resets:
        reset()
    set_script_prefix("/")


@pytest.fixture
def cast(db):
    return make_cast()


@pytest.fixture
def api(cast):
    """Return a DRF APIClient factory: api("alice", host="acme.test")."""
    from rest_framework.test import APIClient

    def make(user=None, host="acme.test"):
        client = APIClient(HTTP_HOST=host)
        if user:
            client.credentials(HTTP_AUTHORIZATION=f"Token {cast['tokens'][user]}")
        return client

    return make


@pytest.fixture
def upload(api):
    """Upload a script as a user through PUT /system/scripts/:id; return the response."""

    def put(script_id, source, user="alice", host="acme.test"):
        return api(user, host).put(
            f"/system/scripts/{script_id}",
            data=source.encode(),
            content_type="application/javascript",
        )

    return put


@pytest.fixture
def records():
    """Write the buffered execution rows and logs now; return a callable."""
    from scripts_app.records import buffer

    return buffer().flush


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Close asgiref's sync-thread connections so PostgreSQL can drop the test DB."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    # Async tests reach the ORM through asgiref's single sync thread, whose
    # connection would otherwise keep the test database "in use" at teardown.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def background():
    """Wait for store post-processing runs started in background threads."""
    from triggers_app.runtime import wait_for_background

    return wait_for_background
