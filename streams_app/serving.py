"""GET on a stream path: a Server-Sent Events response (the catch-all view calls it).

The connection's metadata is its query parameters, or what the stream's
customizer handler returns for the request. A client that sends
`Last-Event-ID` (or `?lastEventId=`) first gets the kept messages it missed,
then live ones. HEAD runs the same checks (the customizer too) and answers the
headers a GET would get, without opening a stream.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.http import HttpResponse

from core import sse
from core.conf import scripts_setting
from core.hub import TIMEOUT, HubFull, js_string, matches
from scripts_app.admission import Overloaded
from scripts_app.executions import error_text
from scripts_app.http import HttpCall, HttpReply, too_many_requests
from scripts_app.routing import Match
from scripts_app.serving import find_route
from streams_app.directory import StreamTarget, streams
from streams_app.hub import hub

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how long EventSource waits before reconnecting
LAST_EVENT_QUERY = "lastEventId"


def _reply(reply: HttpReply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response[name] = value
    return response


async def serve_stream(request, call: HttpCall) -> HttpResponse | None:
    """Answer a request on a stream path; None when the path is not a stream.

    A stream holds GET and HEAD on its path. Another method goes to the
    script routes when one has it, else gets 405.
    """
    target = await streams().find(call.tenant.id, call.path)
    if target is None:
        return None
    if call.method not in ("GET", "HEAD"):
        found = await find_route(call.tenant, call.method, call.path)
        if isinstance(found, Match):
            return None
        allowed = ", ".join(sorted({*found.allowed, "GET", "HEAD"}))
        return _reply(
            HttpReply.error(
                405,
                "method_not_allowed",
                f"{call.method} is not allowed on {call.path}; use {allowed}",
                call.request_id,
                headers=[("Allow", allowed)],
            )
        )
    connections = hub()
    if connections.stopping:
        return _reply(
            HttpReply.error(
                503,
                "server_stopping",
                "This server is stopping; connect again.",
                call.request_id,
                headers=[("Retry-After", "1")],
            )
        )
    if connections.count >= scripts_setting("STREAM_MAX_CONNECTIONS"):
        return _full(call)
    metadata, problem = await metadata_for(request, call, target)
    if problem is not None:
        return problem
    if call.method == "HEAD":
        return HttpResponse(
            status=200, content_type=sse.CONTENT_TYPE, headers=sse.headers()
        )
    last_id = last_event_id(request)
    try:
        conn = await connections.connect(call.tenant.id, call.path, metadata, target)
    except HubFull:
        return _full(call)
    except Exception:
        log.exception("Could not subscribe to the stream %s", call.path)
        return _reply(
            HttpReply.error(
                503,
                "stream_unavailable",
                "The stream cannot be opened right now; try again shortly.",
                call.request_id,
                headers=[("Retry-After", "5")],
            )
        )
    try:
        replay = []
        if last_id is not None:
            replay = await sync_to_async(missed)(
                call.tenant.id, call.path, last_id, metadata
            )
    except BaseException:
        conn.release()
        raise
    return sse.response(
        events(conn, replay, scripts_setting("STREAM_KEEPALIVE_SECONDS")),
        conn.release,
    )


def _full(call: HttpCall) -> HttpResponse:
    return _reply(
        HttpReply.error(
            503,
            "too_many_streams",
            "This server has as many stream connections open as it allows "
            "(SCRIPT_STREAM_MAX_CONNECTIONS); try again shortly.",
            call.request_id,
            headers=[("Retry-After", "5")],
        )
    )


def last_event_id(request) -> int | None:
    """The Last-Event-ID header, else the lastEventId query parameter."""
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        raw = request.GET.get(LAST_EVENT_QUERY)
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def missed(tenant_id: int, path: str, after: int, metadata: dict) -> list:
    """Kept messages of the stream after event id `after` that reach `metadata`."""
    from streams_app.models import StreamMessage

    rows = (
        StreamMessage.objects.filter(tenant_id=tenant_id, path=path, id__gt=after)
        .order_by("id")
        .values_list("id", "data", "filter")
    )
    return [
        (event_id, sse.event(data, id=event_id))
        for event_id, data, event_filter in rows
        if matches(metadata, event_filter)
    ]


async def events(conn, replay: list, keepalive: float):
    """The response body: a preamble, missed events, then live ones."""
    try:
        yield sse.retry(RETRY_MS) + sse.comment("connected")
        replayed = {event_id for event_id, _ in replay}
        if replay:
            yield b"".join(payload for _, payload in replay)
        while True:
            item = await conn.next(keepalive)
            if item is None:
                break
            if item is TIMEOUT:
                yield sse.KEEPALIVE
                continue
            chunks = [
                payload
                for event_id, payload in (item, *conn.ready())
                if event_id not in replayed
            ]
            if chunks:
                yield b"".join(chunks)
    finally:
        conn.release()


# -- metadata ---------------------------------------------------------------------------


async def metadata_for(request, call: HttpCall, target: StreamTarget):
    """Return (metadata, None) or (None, the error response)."""
    if not target.customizer:
        return {
            key: request.GET.getlist(key)[0]
            for key in request.GET
            if key != LAST_EVENT_QUERY and request.GET.getlist(key)
        }, None
    from scripts_app.invocations import run

    customizer = target.customizer_target()
    context = {
        "request": {
            "method": call.method,
            "path": call.path,
            "query": call.query,
            "form": {},
            "headers": call.headers,
            "body": "",
            "params": {},
            "auth": call.auth,
        },
        "meta": {
            "requestId": call.request_id,
            "route": call.path,
            "baseUrl": call.base_url,
            "stream": call.path,
        },
        "user": call.user,
    }
    user_id = call.auth.get("userId")
    outcome = await run(
        "stream",
        call.tenant,
        customizer,
        context,
        trigger=f"{call.method} {call.path}",
        user_id=int(user_id) if user_id else None,
        triggered_by="http",
    )
    err = outcome.error
    if isinstance(err, Overloaded):
        return None, _reply(too_many_requests(err, call.request_id))
    if err is not None:
        timeout = err.code == "timeout"
        if err.code == "handler_not_found":
            message = (
                f"Stream customizer '{target.customizer}' of {call.path} is not a "
                f"function in {customizer.filename}"
            )
        else:
            message = error_text(err, customizer)
        return None, _reply(
            HttpReply.error(
                504 if timeout else 500,
                "script_timeout" if timeout else f"script_{err.code}",
                message,
                call.request_id,
            )
        )
    value = outcome.value
    if value is None or value is False:
        return None, _reply(
            HttpReply.error(
                403,
                "stream_refused",
                f"The stream {call.path} refused this connection.",
                call.request_id,
            )
        )
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {_js_type(value)}"
        message = (
            f"Stream customizer '{target.customizer}' returned {kind}; return an "
            "object of metadata such as {room: 'general'} (values become strings), "
            "or null to refuse the connection"
        )
        _log_error(call, target, message)
        return None, _reply(
            HttpReply.error(500, "script_bad_response", message, call.request_id)
        )
    return {str(k): js_string(v) for k, v in value.items()}, None


def _js_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _log_error(call: HttpCall, target: StreamTarget, message: str) -> None:
    from scripts_app.records import buffer, log_rows

    buffer().add_logs(
        log_rows(
            call.tenant.id,
            target.script_id,
            target.script_name,
            None,
            [],
            [{"level": "ERROR", "message": message}],
        )
    )
