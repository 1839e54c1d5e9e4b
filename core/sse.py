"""Server-Sent Events framing (text/event-stream), written once for every app.

https://html.spec.whatwg.org/multipage/server-sent-events.html: an event is
`id:`, `event:` and one `data:` line per line of its data, ended by a blank
line; a line starting with ":" is a comment (keep-alives); `retry:` tells
EventSource how long to wait before reconnecting.
"""

from __future__ import annotations

CONTENT_TYPE = "text/event-stream"
KEEPALIVE = b": keep-alive\n\n"


def headers() -> dict[str, str]:
    """Headers of an event stream besides its content type: never cached or buffered."""
    return {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def response(events, release):
    """A StreamingHttpResponse of `events` (an async iterator of bytes) that
    calls `release()` when it closes: also when it is never iterated (the
    client left first)."""
    from django.http import StreamingHttpResponse

    streamed = StreamingHttpResponse(
        events, content_type=CONTENT_TYPE, headers=headers()
    )
    streamed._resource_closers.append(release)
    return streamed


def event(data: str, *, id: int | None = None, name: str | None = None) -> bytes:
    """One event: its id and name if any, one `data:` line per line of data."""
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = "" if id is None else f"id: {id}\n"
    if name is not None:
        head += f"event: {name}\n"
    return (head + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


def comment(text: str) -> bytes:
    """A comment line, which clients ignore (a keep-alive, a greeting)."""
    return f": {text}\n\n".encode()


def retry(milliseconds: int) -> bytes:
    """How long EventSource waits before it reconnects."""
    return f"retry: {milliseconds}\n".encode()
