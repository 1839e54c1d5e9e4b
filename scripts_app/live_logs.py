"""Live logs: each stored log entry, sent to the admins watching its script (SSE).

The records writer (scripts_app.records) publishes the entries it has just
committed, per script, to a channel-layer group (core.hub), so an admin
page connected to any serving process sees entries written by every
process: with Redis (REDIS_URL) the layer spans processes, as for streams.
On the in-memory layer there is one process: the entries go straight to
the hubs of its event loops.

The admin's panel (templates/admin/scripts_app/script/_live_logs.html)
reads GET <script>/logs/live/: the script's newest entries, then new ones
as they are stored, each an event whose data is the entry as JSON
({level, message, fields, time, executionId}). Only staff who may view the
script and have a role in its tenant get it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse

from core import sse
from core.conf import scripts_setting
from core.hub import MESSAGE_TYPE, TIMEOUT, Hub, HubFull, Hubs, group_name

log = logging.getLogger(__name__)

BACKLOG = 50  # entries a panel gets when it connects, the newest
PUBLISH_WAIT_SECONDS = 2.0  # how long a writer waits for Redis to take a batch
RETRY_MS = 3000


def key(script_id: int) -> str:
    """The hub key (a group per tenant and key) of a script's log entries."""
    return f"logs:script:{script_id}"


def entry_json(row: dict) -> str:
    """A stored entry as the panel reads it (one SSE event's data)."""
    when = row.get("time")
    execution = row.get("execution_id")
    return json.dumps(
        {
            "level": row.get("level", "LOG"),
            "message": row.get("message", ""),
            "fields": row.get("fields") or {},
            "time": when.isoformat().replace("+00:00", "Z") if when else None,
            "executionId": str(execution) if execution else None,
        },
        ensure_ascii=False,
        default=str,
    )


# -- the hub ----------------------------------------------------------------------------


class _Everlasting:
    """The hub's directory: a script's log group never moves (core.hub.Hub)."""

    loads = 0

    async def refresh(self) -> None:
        return None

    def get(self, tenant_id, path):
        return None


class LogHub(Hub):
    """The admin panels watching log entries, in one event loop."""

    channel_prefix = "logs.hub."

    def directory(self):
        return _Everlasting()

    def close_changed(self, directory) -> int:
        return 0  # a panel watches a script across its versions

    def payload(self, event_id: int, data: str) -> tuple[int, object]:
        return event_id, sse.event(data)


_hubs = Hubs(LogHub, counter="live-logs")


def hub() -> LogHub:
    """This event loop's hub of live-log panels."""
    return _hubs.get()


# -- publishing -------------------------------------------------------------------------


def publish(rows: list[dict]) -> None:
    """Send stored log rows (records.log_rows dicts) to every panel of their script.

    Call it once they are committed. Never raises: a lost live line is
    still in the table.
    """
    try:
        _publish(rows)
    except Exception:  # noqa: BLE001 - live lines are best effort
        log.warning("Could not publish live log entries", exc_info=True)


def _publish(rows: list[dict]) -> None:
    local = None if settings.REDIS_URL else _watching_hubs()
    if local == []:
        return  # one process, and no panel open in it: nothing to build
    batches: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        if row.get("script_id"):
            batches[(row["tenant_id"], row["script_id"])].append(
                [0, entry_json(row), None]
            )
    if not batches:
        return
    messages = [
        {
            "type": MESSAGE_TYPE,
            "tenant": tenant_id,
            "path": key(script_id),
            "messages": lines,
        }
        for (tenant_id, script_id), lines in batches.items()
    ]
    if local is None:
        _send_to_redis(messages)
    else:
        _deliver_here(local, messages)


def _watching_hubs() -> list:
    """[(loop, hub)] of this process's hubs with panels open."""
    for _ in range(3):
        try:  # another thread may add a loop's hub meanwhile
            return [(loop, h) for loop, h in _hubs.items() if h.count]
        except RuntimeError:
            continue
    return []


def _deliver_here(hubs: list, messages: list[dict]) -> None:
    """One process (the in-memory layer): hand the batches to its hubs' loops."""
    for loop, each in hubs:
        if not loop.is_closed():
            for message in messages:
                loop.call_soon_threadsafe(each.deliver, message)


class _Sender:
    """A thread with an event loop of its own that sends batches to Redis.

    Writers are threads (the records writer, a Celery worker, manage.py at
    exit), some inside an event loop: they hand batches over and wait a
    moment, and the Redis connections stay open in this one loop.
    """

    def __init__(self):
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever,
                    name="scripthost-live-logs",
                    daemon=True,
                ).start()
            return self._loop

    async def send(self, messages: list[dict]) -> None:
        layer = get_channel_layer()
        await asyncio.gather(
            *(layer.group_send(group_name(m["tenant"], m["path"]), m) for m in messages)
        )


_sender = _Sender()


def _send_to_redis(messages: list[dict]) -> None:
    try:
        loop = _sender.loop()
    except RuntimeError:  # no new thread at interpreter shutdown: send from here
        asyncio.run(_sender.send(messages))
        return
    future = asyncio.run_coroutine_threadsafe(_sender.send(messages), loop)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a plain thread: wait, so a process about to exit sends
        future.result(PUBLISH_WAIT_SECONDS)


# -- the SSE endpoint -------------------------------------------------------------------


def view_for(model_admin):
    """The async view GET <script pk>/logs/live/ of the script admin."""

    async def live_logs(request, pk):
        user = await request.auser()
        if not (user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        script = await sync_to_async(model_admin.watchable_script)(request, pk)
        return await stream(script)

    return live_logs


async def stream(script) -> HttpResponse:
    """The event stream of a script's log entries: the newest, then live ones."""
    connections = hub()
    if connections.stopping:
        return HttpResponse("This server is stopping; connect again.", status=503)
    try:
        conn = await connections.connect(
            script.tenant_id, key(script.pk), {}, target=script
        )
    except HubFull:
        return HttpResponse("Too many live connections; try again shortly.", status=503)
    try:
        backlog = await sync_to_async(newest)(script)
    except BaseException:
        conn.release()
        raise
    return sse.response(
        _events(conn, backlog, scripts_setting("STREAM_KEEPALIVE_SECONDS")),
        conn.release,
    )


def newest(script) -> list[str]:
    """The script's newest BACKLOG entries, oldest first, as event data."""
    from scripts_app.models import LogEntry

    rows = (
        LogEntry.objects.filter(tenant_id=script.tenant_id, script=script)
        .order_by("-time", "-id")
        .values("level", "message", "fields", "time", "execution_id")[:BACKLOG]
    )
    return [entry_json(row) for row in reversed(list(rows))]


async def _events(conn, backlog: list[str], keepalive: float):
    try:
        yield sse.retry(RETRY_MS) + sse.comment("connected")
        if backlog:
            yield b"".join(sse.event(data) for data in backlog)
        while True:
            item = await conn.next(keepalive)
            if item is None:
                break
            if item is TIMEOUT:
                yield sse.KEEPALIVE
                continue
            yield b"".join(payload for _, payload in (item, *conn.ready()))
    finally:
        conn.release()
