"""The subscription hub: the streams Hub, keyed by subscription, raw messages."""

import asyncio

from core.hub import publish
from graphql_app.subscriptions import key_of, subscription_hub
from streams_app.directory import StreamTarget
from streams_app.hub import hub

TARGET = StreamTarget(key_of("ticks"), script_id=1, script_name="ticks", version=1)


async def test_a_published_message_reaches_matching_subscribers_as_it_is():
    subscribers = subscription_hub()
    try:
        room_a = await subscribers.connect(9, key_of("ticks"), {"room": "a"}, TARGET)
        room_b = await subscribers.connect(9, key_of("ticks"), {"room": "b"}, TARGET)
        await publish(
            9, key_of("ticks"), [[0, '{"n": 1}', {"room": "b"}], [0, "2", {}]]
        )
        got_a = await asyncio.wait_for(room_a.queue.get(), 5)
        got_b = [await asyncio.wait_for(room_b.queue.get(), 5) for _ in range(2)]
    finally:
        await subscribers.stop()

    assert got_a == (0, "2")
    assert got_b == [(0, '{"n": 1}'), (0, "2")]


async def test_subscribers_and_stream_connections_are_apart():
    subscribers, streams = subscription_hub(), hub()
    try:
        assert subscribers is not streams
        assert subscribers.channel_prefix != streams.channel_prefix
        conn = await subscribers.connect(9, key_of("ticks"), {}, TARGET)
        assert (subscribers.count, streams.count) == (1, 0)
        await publish(9, key_of("other"), [[0, "not for ticks", {}]])
        await publish(9, key_of("ticks"), [[0, "for ticks", {}]])
        got = await asyncio.wait_for(conn.queue.get(), 5)
    finally:
        await subscribers.stop()
        await streams.stop()

    assert got == (0, "for ticks")
