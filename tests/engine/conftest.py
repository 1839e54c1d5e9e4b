"""Engine fixtures: a real Engine per test, and scripts to run in it. No Django."""

from __future__ import annotations

import itertools

import pytest

from engine import Engine
from tests.engine.harness import LOAD_LIMITS, Script

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_platform_state():
    # The root conftest resets Django caches; the engine has none and must not
    # need Django at all, so this replaces that fixture with nothing.
    yield


@pytest.fixture
async def engine():
    built = Engine(8, load_limits=LOAD_LIMITS)
    yield built
    await built.settle()
    built.clear()


@pytest.fixture
def script(engine):
    """Return a factory: script(source, name=None, version=1) -> Script."""

    def make(source: str, name: str | None = None, version: int = 1) -> Script:
        return Script(engine, source, name or f"script{next(_names)}", version)

    return make
