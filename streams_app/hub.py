"""The per-process hub of SSE stream connections, one per event loop (core.hub)."""

from __future__ import annotations

from core import sse
from core.hub import Hub, Hubs
from streams_app.directory import streams


class StreamHub(Hub):
    """The hub of SSE stream connections: each message is encoded once."""

    channel_prefix = "streams.hub."

    def directory(self):
        return streams()

    def payload(self, event_id: int, data: str) -> tuple[int, object]:
        return event_id, sse.event(data, id=event_id)


_hubs = Hubs(StreamHub, counter="streams")


def hub() -> StreamHub:
    """This event loop's stream hub."""
    return _hubs.get()
