"""The per-process hub of SSE stream connections, one per event loop (core.hub)."""

from __future__ import annotations

from core import sse
from core.hub import Hub, Hubs, matches
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


def matching_connections(tenant_id: int, path: str, event_filter: dict) -> int:
    """How many of this process's open connections to a stream match a filter.

    Counted now, across this process's event loops; connections to other
    worker processes are not seen (they get the message all the same).
    """
    key = (tenant_id, path)
    count = 0
    for _loop, each in _hubs.items():
        # Another loop's hub may change meanwhile: read a snapshot of it.
        for _ in range(3):
            try:
                conns = tuple(each.local.get(key, ()))
                break
            except RuntimeError:  # the set changed size while copied
                continue
        else:
            conns = ()
        count += sum(
            1 for c in conns if not c.closed and matches(c.metadata, event_filter)
        )
    return count
