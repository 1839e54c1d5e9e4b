"""A burst of requests that find a cache stale makes one trip to the database."""

import asyncio
import threading

import pytest

from tenants.resolve import TenantDirectory

pytestmark = pytest.mark.django_db(transaction=True)


def counting(directory, hold=None):
    """Count the directory's refreshes off the loop; `hold` pauses the first."""
    calls = []
    entered = threading.Event()
    real = directory._refresh_off_request

    def refresh(force):
        calls.append(force)
        entered.set()
        if hold is not None and len(calls) == 1:
            assert hold.wait(30), "the test never let the first refresh go on"
        return real(force)

    directory._refresh_off_request = refresh
    return calls, entered


async def test_requests_finding_the_cache_stale_share_one_refresh(cast):
    directory = TenantDirectory()
    calls, _entered = counting(directory)

    await asyncio.gather(*(directory.refresh() for _ in range(20)))

    assert calls == [False]
    assert not directory.stale()


async def test_a_refresh_started_before_an_invalidate_is_not_shared(cast):
    directory = TenantDirectory()
    hold = threading.Event()
    calls, entered = counting(directory, hold)
    first = asyncio.ensure_future(directory.refresh())
    assert await asyncio.to_thread(entered.wait, 30)

    directory.invalidate()  # a change in this process, while the first reads
    second = asyncio.ensure_future(directory.refresh())
    await asyncio.sleep(0)  # the second starts (or joins) a refresh
    hold.set()
    await asyncio.gather(first, second)

    assert calls == [False, False]
