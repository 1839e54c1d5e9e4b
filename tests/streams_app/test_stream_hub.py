"""The per-process hub: filters, event encoding, slow clients, reloads, capacity."""

import asyncio
import re

import pytest

from core.hub import CLOSE, HubFull, group_name, js_string, matches
from core.sse import event
from streams_app.directory import StreamTarget
from streams_app.hub import StreamHub, hub

TARGET = StreamTarget("/feed", script_id=1, script_name="feed", version=1)


@pytest.mark.parametrize(
    ("metadata", "event_filter", "expected"),
    [
        ({"room": "a"}, {}, True),
        ({}, {}, True),
        ({}, None, True),
        ({"room": "a", "user": "u1"}, {"room": "a"}, True),
        ({"room": "a", "user": "u1"}, {"room": "a", "user": "u1"}, True),
        ({"room": "a", "user": "u1"}, {"room": "a", "user": "u2"}, False),
        ({"room": "b"}, {"room": "a"}, False),
        ({}, {"room": "a"}, False),
        ({"n": "1"}, {"n": "1"}, True),
    ],
)
def test_a_filter_matches_when_every_key_equals_the_metadata(
    metadata, event_filter, expected
):
    assert matches(metadata, event_filter) is expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"a":1}', b'id: 7\ndata: {"a":1}\n\n'),
        ("two\nlines", b"id: 7\ndata: two\ndata: lines\n\n"),
        ("crlf\r\nand\rcr", b"id: 7\ndata: crlf\ndata: and\ndata: cr\n\n"),
        ("", b"id: 7\ndata: \n\n"),
        ("é", "id: 7\ndata: é\n\n".encode()),
    ],
)
def test_an_event_has_its_id_and_one_data_line_per_line(data, expected):
    assert event(data, id=7) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("general", "general"),
        (5, "5"),
        (5.0, "5"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ([1, 2], "[1,2]"),
    ],
)
def test_metadata_values_become_strings_as_javascript_would(value, expected):
    assert js_string(value) == expected


def test_group_names_are_valid_channel_names_for_any_path():
    for path in ("/chat", "/" + "x" * 199, "/ünï/çødé", "/a b"):
        name = group_name(123456789, path)
        assert re.fullmatch(r"[a-zA-Z0-9_.-]+", name)
        assert len(name) < 100
    assert group_name(1, "/a") != group_name(2, "/a")
    assert group_name(1, "/a") != group_name(1, "/b")


async def test_a_client_that_falls_behind_is_closed(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "STREAM_CLIENT_BUFFER": 3}
    connections = StreamHub(asyncio.get_running_loop())
    slow = await connections.connect(1, "/feed", {}, TARGET)
    try:
        message = {
            "type": "streams.messages",
            "tenant": 1,
            "path": "/feed",
            "messages": [[n, f"m{n}", {}] for n in range(1, 5)],
        }
        connections.deliver(message)
        assert slow.closed
        assert slow.reason == "slow client"
        assert slow.queue.qsize() == 3  # what it had; the rest comes by replay
    finally:
        await connections.stop()


async def test_connections_beyond_the_maximum_are_refused(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "STREAM_MAX_CONNECTIONS": 2}
    connections = hub()
    try:
        first = await connections.connect(1, "/feed", {}, TARGET)
        await connections.connect(1, "/other", {}, TARGET)
        with pytest.raises(HubFull):
            await connections.connect(1, "/feed", {}, TARGET)
        first.release()
        assert connections.count == 1
        await connections.connect(1, "/feed", {}, TARGET)  # room again
    finally:
        await connections.stop()
    assert connections.count == 0


class FakeDirectory:
    def __init__(self, streams):
        self.streams = streams

    def get(self, tenant_id, path):
        return self.streams.get((tenant_id, path))


async def test_a_reloaded_or_removed_stream_closes_its_connections():
    connections = hub()
    try:
        kept = await connections.connect(1, "/kept", {}, TARGET)
        reloaded = await connections.connect(1, "/feed", {}, TARGET)
        removed = await connections.connect(2, "/feed", {}, TARGET)
        directory = FakeDirectory(
            {
                (1, "/kept"): StreamTarget("/kept", 1, "feed", 1),
                (1, "/feed"): StreamTarget("/feed", 1, "feed", 2),
            }
        )

        assert connections.close_changed(directory) == 2

        assert not kept.closed
        assert reloaded.closed and removed.closed
        assert reloaded.queue.get_nowait() is CLOSE
    finally:
        await connections.stop()


async def test_a_closed_connection_receives_nothing_more():
    connections = hub()
    try:
        conn = await connections.connect(1, "/feed", {}, TARGET)
        conn.close("test")
        assert conn.queue.get_nowait() is CLOSE
        message = {
            "type": "streams.messages",
            "tenant": 1,
            "path": "/feed",
            "messages": [[1, "late", {}]],
        }
        connections.deliver(message)
        assert conn.queue.empty()
    finally:
        await connections.stop()


async def test_a_message_published_through_the_layer_reaches_the_hub():
    from core.hub import publish

    connections = hub()
    try:
        conn = await connections.connect(9, "/layer", {"room": "a"}, TARGET)
        await publish(9, "/layer", [[41, "no", {"room": "b"}], [42, "yes", {}]])
        event_id, payload = await asyncio.wait_for(conn.queue.get(), 5)
    finally:
        await connections.stop()
    assert (event_id, payload) == (42, b"id: 42\ndata: yes\n\n")


async def test_a_stream_is_served_again_after_the_hub_went_idle():
    from core.hub import publish

    connections = hub()
    try:
        first = await connections.connect(9, "/idle", {}, TARGET)
        first.release()
        for _ in range(500):  # the watcher leaves the groups and rests
            if connections._watcher is None and not connections._joined:
                break
            await asyncio.sleep(0.01)
        assert connections._watcher is None and not connections._joined
        again = await connections.connect(9, "/idle", {}, TARGET)
        await publish(9, "/idle", [[7, "back", {}]])
        got = await asyncio.wait_for(again.queue.get(), 5)
    finally:
        await connections.stop()
    assert got == (7, b"id: 7\ndata: back\n\n")
