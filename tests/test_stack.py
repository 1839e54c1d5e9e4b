"""Prove which stack the suite runs on: embedded defaults or PostgreSQL and Redis.

DATABASE_URL and REDIS_URL select the scaled stack (RUNTIME.md, "Two stacks").
Under CI=true a configured service that cannot be reached fails the run.
"""

import asyncio
import os
import uuid
from urllib.parse import urlsplit

import pytest
from channels.layers import channel_layers
from django.db import connection

from tests.conftest import require_service

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

scaled_database = pytest.mark.skipif(
    not DATABASE_URL, reason="embedded stack: DATABASE_URL is not set"
)
embedded_database = pytest.mark.skipif(
    bool(DATABASE_URL), reason="scaled stack: DATABASE_URL is set"
)
scaled_layer = pytest.mark.skipif(
    not REDIS_URL, reason="embedded stack: REDIS_URL is not set"
)
embedded_layer = pytest.mark.skipif(
    bool(REDIS_URL), reason="scaled stack: REDIS_URL is set"
)


def postgres_reachable() -> bool:
    from tests.e2e.servers import postgres_reachable as reachable

    return reachable(DATABASE_URL)


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def fresh_layer():
    """Build a new channel layer instance that shares no memory with others."""
    return channel_layers.make_backend("default")


async def round_trip(sender, receiver) -> dict:
    channel = await receiver.new_channel()
    message = {"type": "stack.probe", "nonce": uuid.uuid4().hex}
    await sender.send(channel, message)
    received = await asyncio.wait_for(receiver.receive(channel), timeout=5)
    assert received == message
    return received


@scaled_database
def test_orm_runs_on_postgresql_when_database_url_is_set(request):
    require_service("PostgreSQL", postgres_reachable())
    request.getfixturevalue("db")

    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()

    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL")
    assert connection.settings_dict["HOST"] == urlsplit(DATABASE_URL).hostname
    assert database == connection.settings_dict["NAME"]


@embedded_database
def test_orm_runs_on_sqlite_when_database_url_is_unset(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        (version,) = cursor.fetchone()

    assert connection.vendor == "sqlite"
    assert version.count(".") == 2


@scaled_layer
async def test_channel_layer_round_trips_a_message_through_redis():
    require_service("Redis", redis_reachable())
    from channels_redis.core import RedisChannelLayer

    sender, receiver = fresh_layer(), fresh_layer()
    try:
        assert isinstance(sender, RedisChannelLayer)
        assert sender.hosts[0]["address"] == REDIS_URL
        await round_trip(sender, receiver)
    finally:
        await receiver.close_pools()
        await sender.close_pools()


@embedded_layer
async def test_channel_layer_is_in_memory_when_redis_url_is_unset():
    from channels.layers import InMemoryChannelLayer

    layer = fresh_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    await round_trip(layer, layer)
    # In memory means per process: a second instance cannot see the message.
    other = fresh_layer()
    channel = await layer.new_channel()
    await other.send(channel, {"type": "stack.probe"})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), timeout=0.2)
