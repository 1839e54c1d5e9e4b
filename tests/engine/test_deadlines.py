"""engine.deadlines.within: asyncio.timeout's behaviour, with timers shared per 10 ms."""

import asyncio

import pytest

from engine import deadlines
from engine.deadlines import GRAIN, within


def slots() -> dict:
    return deadlines._timers[asyncio.get_running_loop()].slots


async def test_a_wait_past_its_delay_ends_in_timeout_error():
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError), within(0.05):
        await asyncio.sleep(5)
    waited = loop.time() - started
    assert waited + 0.002 >= 0.05  # not before the deadline (loop clock in ms)
    assert waited < 0.05 + GRAIN + 0.5  # and soon after it
    assert slots() == {}
    # The task was not left cancelled: it goes on awaiting normally.
    assert asyncio.current_task().cancelling() == 0
    await asyncio.sleep(0)


async def test_a_wait_that_ends_in_time_leaves_no_timer_behind():
    with within(5):
        await asyncio.sleep(0.01)
    assert slots() == {}
    assert asyncio.current_task().cancelling() == 0


async def test_calls_with_deadlines_in_the_same_slot_share_one_timer():
    release = asyncio.Event()
    inside = []

    async def call():
        with within(30):
            inside.append(1)
            await release.wait()

    tasks = [asyncio.create_task(call()) for _ in range(100)]
    while len(inside) < 100:
        await asyncio.sleep(0)
    # 100 deadlines made within a few ms of each other: one or two slots.
    assert 1 <= len(slots()) <= 2
    release.set()
    await asyncio.gather(*tasks)
    assert slots() == {}


async def test_a_cancellation_from_outside_stays_a_cancellation():
    entered = asyncio.Event()

    async def call():
        with within(30):
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(call())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert slots() == {}


async def test_a_cancellation_from_outside_at_the_deadline_wins():
    async def call():
        with within(30):
            await asyncio.sleep(30)

    task = asyncio.create_task(call())
    await asyncio.sleep(0)
    # The slot's timer fires and another cancel comes before the task runs.
    timers = deadlines._timers[asyncio.get_running_loop()]
    (key,) = timers.slots
    timers._fire(key)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert slots() == {}


async def test_an_error_inside_goes_through_unchanged():
    with pytest.raises(ValueError, match="mine"), within(5):
        await asyncio.sleep(0)
        raise ValueError("mine")
    assert slots() == {}
