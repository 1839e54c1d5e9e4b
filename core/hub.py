"""Keyed fan-out to the clients connected to this process: one hub per event loop.

Messages are published to a channel-layer group per (tenant, key): a stream's
path, a GraphQL subscription's name. The hub of every process that has
connections on that key is in the group with one channel of its own, and
fans each message out to its matching local connections (their metadata
matches the message's filter). With the in-memory layer that is this process
only; with Redis every process (scaled stack).

A connection is a bounded queue. A client too slow to keep up fills it and is
closed; a stream client reconnects with Last-Event-ID and catches up from the
messages kept in the database.

While it has connections a hub also watches its directory: when a key now
belongs to another script version, or is gone, its connections are ended
cleanly (clients reconnect and, if the key still exists, resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import threading
import time
import weakref

from channels.layers import get_channel_layer

from core.conf import scripts_setting
from tenants.models import counter_bumped

log = logging.getLogger(__name__)

MESSAGE_TYPE = "streams.messages"
STOP_TYPE = "streams.stop"  # sent to its own channel by Hub.stop()
# channels_redis forgets group members after a day (group_expiry): join again.
REJOIN_SECONDS = 3600.0
CLOSE = object()  # queued to end a connection that is waiting for events
TIMEOUT = object()  # Connection.next found nothing within its timeout


class HubFull(Exception):
    """This process already serves STREAM_MAX_CONNECTIONS connections."""


def group_name(tenant_id: int, path: str) -> str:
    """A channel-layer group name for a key ([a-zA-Z0-9_.-], < 100 chars)."""
    digest = hashlib.sha256(path.encode()).hexdigest()[:40]
    return f"streams.{tenant_id}.{digest}"


def matches(metadata: dict, event_filter: dict | None) -> bool:
    """True when every key of the filter equals the connection's metadata value."""
    if not event_filter:
        return True
    return all(metadata.get(k) == v for k, v in event_filter.items())


def js_string(value) -> str:
    """Turn a metadata value into a string as JavaScript's String() does."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return json.dumps(value, separators=(",", ":"))


def same_version(target, other) -> bool:
    """True when `other` (None: gone) is the script version `target` is of."""
    return (
        other is not None
        and other.script_id == target.script_id
        and other.version == target.version
    )


async def publish(tenant_id: int, path: str, messages: list) -> None:
    """Send [[id, data, filter], ...] of one key to every process's hub."""
    await get_channel_layer().group_send(
        group_name(tenant_id, path),
        {
            "type": MESSAGE_TYPE,
            "tenant": tenant_id,
            "path": path,
            "messages": messages,
        },
    )


class Connection:
    """One client: what it listens to, and its queue of (id, payload).

    Its `target` is the script version it listens to (anything with
    script_id and version): the connection ends when that changes.
    """

    def __init__(self, hub, tenant_id, path, metadata, target, buffer):
        self.hub = hub
        self.key = (tenant_id, path)
        self.metadata = metadata
        self.target = target
        self.queue: asyncio.Queue = asyncio.Queue(max(1, buffer))
        self.closed = False
        self.reason = ""
        self.released = False

    def offer(self, event_id: int, payload: bytes) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait((event_id, payload))
        except asyncio.QueueFull:
            log.info(
                "Closing a stream connection to %s: its client fell %d messages "
                "behind (it reconnects with Last-Event-ID)",
                self.key[1],
                self.queue.maxsize,
            )
            self.close("slow client")

    async def next(self, timeout: float | None = None):
        """The next (id, payload); None once closed; TIMEOUT after `timeout` s.

        A timeout of None or 0 waits as long as it takes.
        """
        if self.closed:
            return None
        try:
            async with asyncio.timeout(timeout if timeout and timeout > 0 else None):
                item = await self.queue.get()
        except TimeoutError:
            return TIMEOUT
        if item is CLOSE or self.closed:
            return None
        return item

    def ready(self) -> list:
        """Every (id, payload) queued now, without waiting (none once closed)."""
        items = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if item is CLOSE or self.closed:
                break
            items.append(item)
        return items

    def close(self, reason: str) -> None:
        """End the connection: its response finishes after what it is sending."""
        if self.closed:
            return
        self.closed, self.reason = True, reason
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(CLOSE)  # a full queue: the reader checks `closed`

    def release(self) -> None:
        """Leave the hub (idempotent; safe from any thread, e.g. response.close)."""
        if self.released:
            return
        loop = self.hub.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.hub.remove(self)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self.hub.remove, self)


class Hub:
    """Local connections by (tenant id, key), fed from the channel layer.

    A subclass says what it fans out: the prefix of its channel's name
    (`channel_prefix`), the directory its watcher checks connections'
    targets against (`directory()`: anything with refresh(), `loads` (moves
    on every reload) and get(tenant_id, key) giving the current target or
    None), and what a connection's queue gets for a message (`payload`).
    Make hubs through `Hubs`, one per event loop.
    """

    channel_prefix = ""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.local: dict[tuple[int, str], set[Connection]] = {}
        self.count = 0  # connections open or being opened
        self.wake = asyncio.Event()
        self._joined: dict[tuple[int, str], asyncio.Future] = {}
        self._joined_at: dict[tuple[int, str], float] = {}
        self._leaving: dict[tuple[int, str], asyncio.Task] = {}
        self._receiver: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self._lifecycle = asyncio.Lock()
        self._stopping_receiver = False
        self._checked_loads = -1
        self.stopping = False  # the server was asked to stop: refuse new streams

    # -- connections ---------------------------------------------------------------

    async def connect(
        self, tenant_id: int, path: str, metadata: dict, target
    ) -> Connection:
        """Register a connection; return once messages sent from now reach it.

        Raises HubFull past STREAM_MAX_CONNECTIONS, or the channel layer's
        error when it cannot be joined.
        """
        if self.count >= scripts_setting("STREAM_MAX_CONNECTIONS"):
            raise HubFull()
        conn = Connection(
            self,
            tenant_id,
            path,
            metadata,
            target,
            scripts_setting("STREAM_CLIENT_BUFFER"),
        )
        self.count += 1
        self.local.setdefault(conn.key, set()).add(conn)
        try:
            await self._start()
            await self._join(conn.key)
        except BaseException:
            self.remove(conn)
            raise
        return conn

    def remove(self, conn: Connection) -> None:
        """Forget a connection (in the hub's loop); groups are left lazily."""
        if conn.released:
            return
        conn.released = True
        conn.closed = True
        self.count -= 1
        group = self.local.get(conn.key)
        if group is not None:
            group.discard(conn)
            if not group:
                del self.local[conn.key]
        if self.count == 0:
            self.wake.set()  # the watcher leaves the groups and rests

    def connections(self) -> int:
        return self.count

    # -- the channel layer ---------------------------------------------------------

    async def _start(self) -> None:
        _hook_stop_signals()
        async with self._lifecycle:
            if self._receiver is None or self._receiver.done():
                self.channel = await self.layer.new_channel(self.channel_prefix)
                self._receiver = self.loop.create_task(self._receive())
            if self._watcher is None or self._watcher.done():
                self._watcher = self.loop.create_task(self._watch())

    async def _join(self, key) -> None:
        future = self._joined.get(key)
        if future is None:
            future = self._joined[key] = asyncio.ensure_future(self._group_add(key))
            self._joined_at[key] = time.monotonic()
        try:
            # Shielded: a client leaving while its stream is joined must not
            # cancel the join other connections wait for.
            await asyncio.shield(future)
        except Exception:
            if self._joined.get(key) is future:
                del self._joined[key]
            raise

    async def _group_add(self, key) -> None:
        leaving = self._leaving.get(key)
        if leaving is not None:
            with contextlib.suppress(Exception):
                await leaving
        await self.layer.group_add(group_name(*key), self.channel)

    async def _group_discard(self, key, channel) -> None:
        try:
            await self.layer.group_discard(group_name(*key), channel)
        except Exception:  # noqa: BLE001 - the membership expires on its own
            log.warning("Could not leave the stream group of %s", key[1], exc_info=True)
        finally:
            if self._leaving.get(key) is asyncio.current_task():
                del self._leaving[key]

    def _leave(self, key) -> None:
        self._joined.pop(key, None)
        self._joined_at.pop(key, None)
        self._leaving[key] = self.loop.create_task(
            self._group_discard(key, self.channel)
        )

    async def _receive(self) -> None:
        """Feed local connections, for the life of the loop (or until stop()).

        It keeps running while no stream is joined: a cancelled receive can
        take the layer seconds to give up (channels_redis waits out its
        blocking pop), which a client connecting then would wait for.
        """
        me = asyncio.current_task()
        while True:
            try:
                message = await self.layer.receive(self.channel)
                if message.get("type") == STOP_TYPE and self._stopping_receiver:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. Redis restarting: try again
                if me.cancelling():
                    # redis-py turns a cancelled read into its TimeoutError.
                    raise asyncio.CancelledError() from None
                log.warning("Receiving stream messages failed", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            try:
                self.deliver(message)
            except Exception:  # noqa: BLE001 - one bad message must not stop the hub
                log.exception("Delivering a stream message failed")

    def deliver(self, message: dict) -> int:
        """Queue a published batch for the matching local connections."""
        if message.get("type") != MESSAGE_TYPE:
            return 0
        conns = self.local.get((message["tenant"], message["path"]))
        if not conns:
            return 0
        delivered = 0
        for event_id, data, event_filter in message["messages"]:
            offered_id, payload = self.payload(event_id, data)
            for conn in tuple(conns):
                if matches(conn.metadata, event_filter):
                    conn.offer(offered_id, payload)
                    delivered += 1
        return delivered

    def payload(self, event_id: int, data: str) -> tuple[int, object]:
        """What a connection's queue gets for one message: (id, item)."""
        return event_id, data

    # -- watching for reloads ------------------------------------------------------

    def directory(self):
        """What the watcher checks connections' targets against."""
        raise NotImplementedError

    async def _watch(self) -> None:
        """While there are connections: close those whose stream changed."""
        directory = self.directory()
        while True:
            interval = scripts_setting("ROUTE_REFRESH_SECONDS")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), max(interval, 0.05))
            self.wake.clear()
            if self.count == 0:
                # Idle: leave every group and rest until the next connection
                # (no await from the check on: a connect starts a new watcher).
                for key in list(self._joined):
                    self._leave(key)
                self._watcher = None
                return
            try:
                await directory.refresh()
            except Exception:  # noqa: BLE001 - keep serving; try next round
                log.warning(
                    "Could not refresh the directory of %s",
                    type(self).__name__,
                    exc_info=True,
                )
                continue
            if directory.loads != self._checked_loads:
                self._checked_loads = directory.loads
                self.close_changed(directory)
            self._tidy_groups()

    def close_changed(self, directory) -> int:
        """End connections whose key is gone or belongs to another version."""
        closed = 0
        for key, conns in list(self.local.items()):
            now = directory.get(*key)
            for conn in tuple(conns):
                if not same_version(conn.target, now):
                    conn.close("the stream was reloaded or removed")
                    closed += 1
        return closed

    def _tidy_groups(self) -> None:
        now = time.monotonic()
        for key in list(self._joined):
            if key not in self.local:
                self._leave(key)
            elif now - self._joined_at.get(key, now) > REJOIN_SECONDS:
                self._joined_at[key] = now
                self.loop.create_task(self._rejoin(key))

    async def _rejoin(self, key) -> None:
        try:
            await self.layer.group_add(group_name(*key), self.channel)
        except Exception:  # noqa: BLE001 - tried again in an hour
            log.warning("Could not renew the stream group of %s", key[1], exc_info=True)

    def close_all(self, reason: str) -> None:
        for conns in list(self.local.values()):
            for conn in tuple(conns):
                conn.close(reason)

    async def stop(self) -> None:
        """Close every connection, leave the groups, stop receiving (tests)."""
        for conns in list(self.local.values()):
            for conn in tuple(conns):
                conn.close("the server is stopping")
                self.remove(conn)
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher
        for key in list(self._joined):
            self._leave(key)
        leaving = list(self._leaving.values())
        if leaving:
            await asyncio.gather(*leaving, return_exceptions=True)
        receiver, self._receiver = self._receiver, None
        if receiver is None or receiver.done():
            return
        # Ask the receiver to return: cancelling a blocked receive can take the
        # layer seconds.
        self._stopping_receiver = True
        try:
            with contextlib.suppress(Exception):
                await self.layer.send(self.channel, {"type": STOP_TYPE})
            done, _ = await asyncio.wait([receiver], timeout=2.0)
            if not done:
                receiver.cancel()
                await asyncio.wait([receiver], timeout=10.0)
        finally:
            self._stopping_receiver = False


class Hubs:
    """The hubs of one kind, one per event loop, made by `factory(loop)`.

    Their connections end when the server is asked to stop (SIGTERM,
    SIGINT), and they re-check their connections as soon as `counter` (the
    ChangeCounter of their directory) is bumped in this process.
    """

    def __init__(self, factory, counter: str):
        self.factory = factory
        self.counter = counter
        self._hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        _every.append(self)
        counter_bumped.connect(self._bumped)

    def get(self) -> Hub:
        """The running event loop's hub."""
        loop = asyncio.get_running_loop()
        found = self._hubs.get(loop)
        if found is None:
            found = self._hubs[loop] = self.factory(loop)
        return found

    def items(self) -> list:
        return list(self._hubs.items())

    def _bumped(self, sender, name, **kwargs) -> None:
        if name != self.counter:
            return
        for loop, each in self.items():
            if each.count and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(each.wake.set)


_every: list[Hubs] = []


# -- stopping the server ----------------------------------------------------------------
#
# An open stream never ends by itself, and uvicorn waits for every response to
# finish before it stops (daphne drops them). So on SIGTERM or SIGINT every hub
# ends its streams cleanly, then the server's own handler runs: clients see the
# end of the stream and reconnect, to another process when there is one.


def _stop_streams(hubs) -> None:
    for loop, each in hubs:
        if loop.is_closed():
            continue
        each.stopping = True
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(each.close_all, "the server is stopping")


def _hook_stop_signals() -> None:
    """Chain a handler that ends the streams before the server's own (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if getattr(previous, "ends_streams", False):
            continue

        def handler(signum, frame, previous=previous):
            _stop_streams([item for hubs in _every for item in hubs.items()])
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)

        handler.ends_streams = True
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not allowed here: streams end with the process
            return
