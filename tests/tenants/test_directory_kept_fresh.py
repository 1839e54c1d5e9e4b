"""Requests do not wait for a recent cache; the server keeps the caches recent.

A request that finds the tenant or route cache stale waits for its refresh
only when the copy is old (or was invalidated by a change in this process):
a copy confirmed within the last two intervals serves while it refreshes in
the background. tenants.resolve.keep_fresh, run by the server's lifespan,
refreshes every cache in use each interval, so even the first request after
a quiet spell finds a recent copy.
"""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from tenants.resolve import TenantDirectory, keep_fresh
from tests.tenants.test_directory_cache import change_from_another_process
from tests.tenants.test_directory_refresh_burst import counting

pytestmark = pytest.mark.django_db(transaction=True)


def refresh_every(settings, seconds):
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": seconds}


async def loaded(settings, seconds):
    refresh_every(settings, seconds)
    directory = TenantDirectory()
    await directory.refresh(force=True)
    return directory


async def test_a_recent_copy_serves_while_it_refreshes(cast, settings):
    directory = await loaded(settings, 0.2)
    hold = threading.Event()
    calls, entered = counting(directory, hold)
    await asyncio.sleep(0.25)  # stale, but confirmed less than two intervals ago
    assert directory.stale()

    await asyncio.wait_for(directory.refresh(), 5)  # returns with the refresh held

    assert await asyncio.to_thread(entered.wait, 30)
    hold.set()
    assert calls == [False]


async def too_old(directory):
    await asyncio.sleep(0.15)  # three intervals of 0.05 s: too old to serve


async def invalidated(directory):
    directory.invalidate()  # as a change in this process does


async def as_loaded(directory):
    pass


@pytest.mark.parametrize(
    ("interval", "then"),
    [(0.05, too_old), (60, invalidated), (0, as_loaded)],
    ids=["an old copy", "an invalidated copy", "an interval of zero"],
)
async def test_the_refresh_waits_for_the_database(cast, settings, interval, then):
    directory = await loaded(settings, interval)
    await sync_to_async(change_from_another_process)(
        slug="initech", name="I", domains=["initech.test"]
    )
    await then(directory)

    await directory.refresh()

    assert directory.lookup("initech.test", "/").tenant.slug == "initech"


async def test_keep_fresh_picks_up_another_process_change_without_requests(
    cast, settings
):
    directory = await loaded(settings, 0.05)
    unused = TenantDirectory()  # never loaded here: keep_fresh leaves it alone
    unused_calls, _ = counting(unused)
    await sync_to_async(change_from_another_process)(
        slug="initech", name="I", domains=["initech.test"]
    )
    fresh = asyncio.ensure_future(keep_fresh())
    try:
        async with asyncio.timeout(10):
            while directory.lookup("initech.test", "/").tenant.slug != "initech":
                await asyncio.sleep(0.02)
        assert not directory.stale() or directory._recent()
    finally:
        fresh.cancel()
    assert unused_calls == []


async def test_keep_fresh_stops_when_the_interval_is_zero(settings):
    refresh_every(settings, 0)

    await asyncio.wait_for(keep_fresh(), 1)  # returns: nothing to keep fresh
