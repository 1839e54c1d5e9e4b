"""The scaled stack's gate: one cap per tenant across processes, kept in Redis.

Each test's gates use a key prefix of their own, so test runs sharing the
Redis server never meet. Two RedisGate objects stand for two processes.
Tests that need Redis run when REDIS_URL is set (under CI=true an unreachable
Redis fails them); those about Redis being unreachable run on both stacks.
"""

import asyncio
import logging
import os
import socket
import uuid

import pytest

from scripts_app import admission
from scripts_app.admission import LEASE_MARGIN_SECONDS, LocalGate, RedisGate
from tests.conftest import require_service
from tests.test_stack import redis_reachable, scaled_layer

URL = os.environ.get("REDIS_URL", "")


def fresh_prefix() -> str:
    return f"scripthost-test:admission:{uuid.uuid4().hex}:"


@pytest.fixture
def prefix():
    require_service("Redis", redis_reachable())
    return fresh_prefix()


@pytest.fixture
async def gates(prefix):
    """Make RedisGates on one prefix (as processes would); close them after."""
    made = []

    def make():
        made.append(RedisGate(URL, prefix, LocalGate()))
        return made[-1]

    yield make
    for gate in made:
        await gate.close()


async def redis_now_ms(gate) -> int:
    client, _take = gate._client()
    seconds, micros = await client.time()
    return seconds * 1000 + micros // 1000


async def counted(gate, monkeypatch, cap):
    """Load the gate's script (one slot taken and given back), then count the
    commands the gate sends: return its client and the list of their names."""
    await gate.release((await gate.acquire(7, cap, 20))[0])
    client, _take = gate._client()
    sent = []
    real = client.execute_command

    async def counting(*args, **options):
        sent.append(args[0])
        return await real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    return client, sent


@scaled_layer
async def test_two_gates_on_one_redis_share_each_tenants_cap(gates):
    first, second = gates(), gates()
    a = [await first.acquire(7, 3, 20) for _ in range(2)]
    b = await second.acquire(7, 3, 20)

    assert [running for _slot, running in a] == [1, 2]
    assert b[1] == 3
    assert await second.acquire(7, 3, 20) == (None, 3)
    assert await first.acquire(7, 3, 20) == (None, 3)
    assert (await second.acquire(8, 3, 20))[0] is not None  # another tenant

    await first.release(a[0][0])

    slot, running = await second.acquire(7, 3, 20)
    assert slot is not None and running == 3


@scaled_layer
async def test_a_gate_knows_the_slots_its_own_process_holds(gates):
    # The fast path's early refusal (admission.shed) relies on it: what this
    # process holds is a lower bound of what every process holds.
    first, second = gates(), gates()
    mine = [await first.acquire(7, 5, 20) for _ in range(2)]
    await second.acquire(7, 5, 20)

    assert first.held(7) == 2 and second.held(7) == 1
    assert first.held(8) == 0

    await first.release(mine[0][0])
    assert first.held(7) == 1
    assert await first.acquire(7, 2, 20) == (None, 2)  # refused: not counted
    assert first.held(7) == 1


@scaled_layer
async def test_a_lease_expires_a_little_after_its_time_limit(gates):
    gate = gates()
    before = await redis_now_ms(gate)

    slot, _running = await gate.acquire(7, 1, 20)

    client, _take = gate._client()
    expiry = await client.zscore(gate.key(7), slot.lease)
    after = await redis_now_ms(gate)
    lease_ms = (20 + LEASE_MARGIN_SECONDS) * 1000
    assert before + lease_ms <= expiry <= after + lease_ms
    # The tenant's set lives no longer than its leases.
    assert 0 < await client.pttl(gate.key(7)) <= lease_ms


@scaled_layer
async def test_the_slot_of_a_process_that_died_comes_back_when_its_lease_expires(
    gates,
):
    crashed, alive = gates(), gates()
    slot, _running = await crashed.acquire(7, 1, 20)  # never given back
    assert await alive.acquire(7, 1, 20) == (None, 1)

    # Time passes for the lease: its expiry moves to just now.
    client, _take = alive._client()
    now = await redis_now_ms(alive)
    await client.zadd(alive.key(7), {slot.lease: now - 1}, xx=True)

    taken, running = await alive.acquire(7, 1, 20)
    assert taken is not None and running == 1
    assert await client.zscore(alive.key(7), slot.lease) is None


@scaled_layer
async def test_giving_every_slot_back_leaves_nothing_in_redis(gates):
    gate = gates()
    slots = [(await gate.acquire(7, 5, 20))[0] for _ in range(3)]

    for slot in slots:
        await gate.release(slot)

    client, _take = gate._client()
    assert await client.exists(gate.key(7)) == 0


@scaled_layer
async def test_taking_and_giving_back_a_slot_cost_one_round_trip_each(
    gates, monkeypatch
):
    gate = gates()
    client, sent = await counted(gate, monkeypatch, cap=5)

    slot, _running = await gate.acquire(7, 5, 20)
    await gate.release(slot)

    assert sent == ["EVALSHA", "ZREM"]


@scaled_layer
async def test_slots_asked_for_together_take_one_round_trip_and_keep_the_cap(
    gates, monkeypatch
):
    gate = gates()
    client, sent = await counted(gate, monkeypatch, cap=5)

    answers = await asyncio.gather(*(gate.acquire(7, 3, 20) for _ in range(5)))
    taken = [slot for slot, _running in answers if slot is not None]
    await asyncio.gather(*(gate.release(slot) for slot in taken))

    assert [running for _slot, running in answers] == [1, 2, 3, 3, 3]
    assert [slot is not None for slot, _running in answers] == [True] * 3 + [False] * 2
    assert sent == ["EVALSHA", "ZREM"]
    assert await client.exists(gate.key(7)) == 0
    assert gate.held(7) == 0


@scaled_layer
async def test_a_slot_given_back_is_taken_over_by_the_next_invocation_at_once(
    gates, monkeypatch
):
    gate = gates()
    client, sent = await counted(gate, monkeypatch, cap=1)

    first, _running = await gate.acquire(7, 1, 20)
    gate.release_soon(first)
    second, running = await gate.acquire(7, 1, 20)  # the cap is 1: no other slot
    third, _running = await gate.acquire(7, 1, 20)
    await asyncio.sleep(0.05)

    assert second is not None and second.lease == first.lease and running == 1
    assert third is None  # the cap still holds
    assert sent == ["EVALSHA", "EVALSHA"]  # the first slot and the third's refusal
    assert await client.zcard(gate.key(7)) == 1
    await gate.release(second)
    assert await client.exists(gate.key(7)) == 0


@scaled_layer
async def test_a_lease_too_short_for_the_next_invocation_is_not_taken_over(gates):
    gate = gates()
    first, _running = await gate.acquire(7, 2, 1)  # a lease of 1 s + the margin
    gate.release_soon(first)
    longer, _running = await gate.acquire(7, 2, 30)

    assert longer is not None and longer.lease != first.lease
    await gate.release(longer)
    await asyncio.sleep(0.05)
    client, _take = gate._client()
    assert await client.exists(gate.key(7)) == 0


@scaled_layer
async def test_a_slot_whose_caller_went_away_is_given_back(gates):
    gate = gates()
    asking = asyncio.ensure_future(gate.acquire(7, 5, 20))
    await asyncio.sleep(0)  # queued in the batch, not sent yet
    asking.cancel()
    kept, _running = await gate.acquire(7, 5, 20)
    await asyncio.sleep(0.05)  # the cancelled one's slot was not taken, or given back

    client, _take = gate._client()
    assert await client.zcard(gate.key(7)) == 1
    assert gate.held(7) == 1
    await gate.release(kept)
    assert await client.exists(gate.key(7)) == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_without_redis_each_process_counts_alone_and_says_so(caplog):
    unreachable = f"redis://127.0.0.1:{closed_port()}/0"
    gate = RedisGate(unreachable, fresh_prefix(), LocalGate())

    with caplog.at_level(logging.WARNING, logger="scripts_app.admission"):
        first, running = await gate.acquire(7, 1, 20)
        refused = await gate.acquire(7, 1, 20)
        await gate.release(first)
        again, _running = await gate.acquire(7, 1, 20)

    assert first is not None and first.lease is None and running == 1
    assert refused == (None, 1)  # the cap still holds, in this process
    assert again is not None
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings  # Redis is not asked again for a while
    assert warnings[0].startswith("Redis did not answer for admission (")
    assert warnings[0].endswith(
        "counting each tenant's invocations in this process alone for 5 s"
    )
    await gate.close()


async def test_redis_is_asked_again_once_the_fallback_interval_is_over(
    caplog, monkeypatch
):
    monkeypatch.setattr(admission, "FALLBACK_SECONDS", 0)
    unreachable = f"redis://127.0.0.1:{closed_port()}/0"
    gate = RedisGate(unreachable, fresh_prefix(), LocalGate())

    with caplog.at_level(logging.WARNING, logger="scripts_app.admission"):
        await gate.acquire(7, 1, 20)
        await gate.acquire(8, 1, 20)

    assert len(caplog.records) == 2, caplog.records
    await gate.close()


@scaled_layer
async def test_with_redis_url_the_process_counts_in_redis_per_database(
    prefix, settings
):
    from django.db import connections

    settings.REDIS_URL = URL

    gate = admission.gate()

    assert isinstance(gate, RedisGate)
    name = connections["default"].settings_dict["NAME"]
    assert gate.prefix == f"scripthost:admission:{name}:"
    await gate.close()


def test_without_redis_url_the_process_counts_in_process(settings):
    settings.REDIS_URL = ""

    assert isinstance(admission.gate(), LocalGate)
