"""Helpers for the admission tests: an engine that runs until told, held slots."""

import asyncio
import itertools
import random
from contextlib import asynccontextmanager, contextmanager
from types import SimpleNamespace

from asgiref.sync import async_to_sync

from engine import Limits, Outcome
from scripts_app import admission
from scripts_app.hosting import Invocation, invoke_with_effects

# Tenants of the gate tests need no rows; fresh ids keep them apart in a Redis
# shared with other tests.
_ids = itertools.count(random.randrange(10**9, 2 * 10**9))


def tenant(slug="gated"):
    return SimpleNamespace(id=next(_ids), slug=slug, name=slug.title())


class HeldEngine:
    """An engine whose invocations run until the test lets them finish."""

    def __init__(self):
        self.started = 0
        self.release = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Event]] = []

    async def invoke(self, key, handler, context, limits, load, host=None):
        self.started += 1
        for count, event in self._waiters:
            if self.started >= count:
                event.set()
        await self.release.wait()
        if handler == "fail":
            raise RuntimeError("the engine broke")
        return Outcome(value=f"ran {handler}")

    async def until_started(self, count: int) -> None:
        """Wait until `count` invocations have reached the engine."""
        if self.started >= count:
            return
        event = asyncio.Event()
        self._waiters.append((count, event))
        await asyncio.wait_for(event.wait(), PATIENCE)


# A refused invocation returns at once; a wait this long means it was not.
PATIENCE = 30.0


def run(engine, tenant, handler="h", kind="http"):
    """Invoke through the one runner (and so through the gate)."""

    async def load():
        raise AssertionError("the held engine never loads sources")

    return asyncio.wait_for(
        invoke_with_effects(
            engine,
            ("held", 1),
            handler,
            {"request": None},
            Limits.of(20, 20),
            load,
            Invocation(tenant=tenant, script_id=1, script_name="held", kind=kind),
        ),
        PATIENCE,
    )


async def _take(tenant, count):
    slots = []
    for _ in range(count):
        slot, _running = await admission.gate().acquire(tenant.id, admission.cap(), 60)
        assert slot is not None, "the tenant's slots were already taken"
        slots.append(slot)
    return slots


async def _give_back(slots):
    for slot in slots:
        await admission.gate().release(slot)


@asynccontextmanager
async def holding(tenant, count=None):
    """Hold `count` (default: all) of the tenant's slots while the block runs."""
    slots = await _take(tenant, admission.cap() if count is None else count)
    try:
        yield slots
    finally:
        await _give_back(slots)


@contextmanager
def held(tenant, count=None):
    """The same, from sync code (each step in an event loop of its own)."""

    async def closing(step, *args):
        try:
            return await step(*args)
        finally:
            await admission.gate().close()  # the loop ends with this step

    count = admission.cap() if count is None else count
    slots = async_to_sync(closing)(_take, tenant, count)
    try:
        yield slots
    finally:
        async_to_sync(closing)(_give_back, slots)
