"""Locks on contended keys: taken in turn, bounded waits, across processes in Redis.

Two KeyLocks objects on one Redis prefix stand for two processes. Tests that
need Redis run when REDIS_URL is set (under CI=true an unreachable Redis fails
them); the others run on both stacks.
"""

import asyncio
import os
import uuid

import pytest

from scripts_app.contention import KeyLocks
from tests.conftest import require_service
from tests.test_stack import redis_reachable, scaled_layer

URL = os.environ.get("REDIS_URL", "")


async def test_a_held_name_is_refused_to_another_within_its_wait():
    locks = KeyLocks()
    first = await locks.acquire(["1:storage:a"], 1.0, 5.0)

    assert await locks.acquire(["1:storage:a"], 0.05, 5.0) is None
    assert await locks.acquire(["1:storage:b"], 0.05, 5.0) is not None
    assert locks.held("1:storage:a")

    await locks.release(first)

    assert not locks.held("1:storage:a")
    assert await locks.acquire(["1:storage:a"], 0.05, 5.0) is not None


async def test_a_waiter_gets_the_lock_when_the_holder_gives_it_back():
    locks = KeyLocks()
    first = await locks.acquire(["1:k"], 1.0, 5.0)
    waiting = asyncio.ensure_future(locks.acquire(["1:k"], 5.0, 5.0))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    await locks.release(first)

    assert await waiting is not None


async def test_a_refused_waiter_leaves_the_names_it_had_taken_free():
    locks = KeyLocks()
    holder = await locks.acquire(["1:b"], 1.0, 5.0)

    # "1:a" is taken first (sorted order), then "1:b" times out: "1:a" goes back.
    assert await locks.acquire(["1:b", "1:a"], 0.05, 5.0) is None
    assert not locks.held("1:a")
    await locks.release(holder)


async def test_a_waiter_cancelled_while_it_waits_holds_nothing():
    # Its client went away: the lock must come free for the next caller.
    locks = KeyLocks()
    holder = await locks.acquire(["1:k"], 1.0, 5.0)
    waiting = asyncio.ensure_future(locks.acquire(["1:j", "1:k"], 5.0, 5.0))
    await asyncio.sleep(0.05)  # it holds "1:j" and waits for "1:k"
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert not locks.held("1:j")
    await locks.release(holder)
    assert await locks.acquire(["1:j", "1:k"], 0.05, 5.0) is not None


@pytest.fixture
async def redis_locks():
    """Make KeyLocks on one fresh Redis prefix (as processes would); close them."""
    require_service("Redis", redis_reachable())
    prefix = f"scripthost-test:lock:{uuid.uuid4().hex}:"
    made = []

    def make():
        made.append(KeyLocks(URL, prefix))
        return made[-1]

    yield make
    for locks in made:
        await locks.close()


@scaled_layer
async def test_two_processes_take_a_name_in_turn_through_redis(redis_locks):
    one, two = redis_locks(), redis_locks()
    held = await one.acquire(["7:storage:hot"], 1.0, 5.0)

    assert held is not None and held.tokens
    assert await two.acquire(["7:storage:hot"], 0.05, 5.0) is None
    assert not two.held("7:storage:hot")  # gave its own process's lock back

    await one.release(held)

    assert await two.acquire(["7:storage:hot"], 1.0, 5.0) is not None


@scaled_layer
async def test_a_redis_lock_expires_shortly_after_its_holders_time_limit(
    redis_locks,
):
    one, two = redis_locks(), redis_locks()
    # A lease of 0 s: it expires LEASE_MARGIN_SECONDS later, by Redis's clock.
    held = await one.acquire(["7:storage:dead"], 1.0, 0.0)
    key, _token = held.tokens["7:storage:dead"]
    client, _release = one._client()

    ttl_ms = await client.pttl(key)

    assert 0 < ttl_ms <= 5000
    await one.release(held)
    assert await two.acquire(["7:storage:dead"], 1.0, 5.0) is not None


@scaled_layer
async def test_a_holder_cancelled_while_it_gives_back_still_frees_every_lock(
    redis_locks,
):
    one, two = redis_locks(), redis_locks()
    held = await one.acquire(["7:a", "7:b"], 1.0, 5.0)
    releasing = asyncio.ensure_future(one.release(held))
    await asyncio.sleep(0)  # it has started: the process's locks are free
    releasing.cancel()

    assert not one.held("7:a") and not one.held("7:b")
    assert await two.acquire(["7:a", "7:b"], 1.0, 5.0) is not None
