"""Fixtures for the end-to-end tests: one fresh installation, real ASGI servers.

Every e2e module shares one bootstrapped database (a server start costs about
two seconds); tests keep out of each other's way with distinct script names,
paths and log messages. Modules that need a server with other settings start
their own on the same database with `launch`.
"""

import os
from contextlib import contextmanager

import pytest

from tests.conftest import require_service
from tests.e2e.servers import FreshDatabase, Server, postgres_reachable


@pytest.fixture(scope="session")
def installation():
    """Return a migrated, bootstrapped database of its own, dropped at the end."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        require_service("PostgreSQL", postgres_reachable(url))
    database = FreshDatabase()
    try:
        yield database.create()
    finally:
        database.drop()


@contextmanager
def launch(installation, workers=0, **settings_env):
    """Run a server (`manage.py serve`, or uvicorn with workers) while the block runs."""
    server = Server(installation, workers, **settings_env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server(installation):
    """Return the shared server, started with the default settings."""
    with launch(installation) as running:
        yield running
