"""Bound each tenant's running invocations (R9): past the cap, refuse at once.

The contract: `gated` wraps the one invocation runner
(scripts_app.hosting.invoke_with_effects), so it holds for every kind of
invocation (HTTP routes, listeners, resolvers, stream customizers...). Before
the engine is called, the invocation takes one of its tenant's
SCRIPT_MAX_CONCURRENT_PER_TENANT slots and keeps it until it ends, however it
ends (retries after write conflicts and the applying of its effects
included); it gives it back without waiting for that to be done. With no slot free it is refused at once: the runner returns an
Outcome whose error is `Overloaded`, having run nothing and written nothing.
Nothing ever waits for a slot, so no invocation's time limit is spent queued
here; the HTTP answer is 429 with Retry-After (scripts_app.http.reply_for).

Where the slots are counted:

- embedded stack (no REDIS_URL): in this process (`LocalGate`);
- scaled stack: in Redis, across every process (`RedisGate`), one sorted set
  of leases per tenant, taken with one Lua script (one round trip) and given
  back with one ZREM. The slots an event loop asks for (or gives back) in
  the same moment go in one round trip, and a slot given back is taken over
  by the next invocation of its tenant in the process, if one starts within
  FREE_GATHER_SECONDS: a burst of a hundred invocations costs a few round
  trips, not two hundred, and each round trip's socket calls are what a
  busy process pays most for (the GIL). A lease expires a
  little after the longest its invocation may run, so the slots of a
  process that died come back;
- Redis unreachable: this process counts on its own (as on the embedded
  stack) for FALLBACK_SECONDS, with a warning, then tries Redis again. So an
  outage loosens the cap to one per process instead of lifting it, and never
  stalls requests on a dead connection more than once per interval.

Refused invocations get no Execution row: nothing ran, and under a flood a row
per refused request would load the database when it can least afford it.
They are counted per tenant (`refusals()`) and logged (logger
scripts_app.admission) at most once per tenant every LOG_EVERY_SECONDS, with
how many were refused since the last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import threading
import time
import weakref
from dataclasses import dataclass

from django.conf import settings

from core import ids
from core.conf import derived, scripts_setting
from engine import EngineError, Outcome

log = logging.getLogger(__name__)

# What a refused caller is told to wait, in seconds: slots come back as soon as
# any of the tenant's invocations ends, and most end within milliseconds.
RETRY_AFTER_SECONDS = 1
# A lease outlives its invocation's time limit by this, plus the time a cold
# context may take to build before the limit starts counting.
LEASE_MARGIN_SECONDS = 5.0
# Each Redis round trip gives up after this; then FALLBACK_SECONDS per process.
REDIS_TIMEOUT_SECONDS = 0.5
FALLBACK_SECONDS = 5.0
# Connections to Redis per process and event loop; a round trip takes well
# under a millisecond, so a burst of requests waits little for one.
REDIS_CONNECTIONS = 32
LOG_EVERY_SECONDS = 10.0
# Slots given back within this long go back in one round trip, and until then
# an invocation of the same tenant starting in this process takes one over
# (no round trip at all), if its lease outlasts the new invocation's limit by
# HAND_OVER_MARGIN_SECONDS. So a slot is free again for this process at
# once; other processes see it free FREE_GATHER_SECONDS later, at most.
FREE_GATHER_SECONDS = 0.002
HAND_OVER_MARGIN_SECONDS = 1.0

# Take slots: drop the expired leases, then add these, in order, while there
# is room. ARGV: the cap, then (lease id, lease ms) per slot asked for. Redis's
# own clock times every lease, so the processes' clocks never matter.
# Returns {how many were taken (the first ones), leases running before them}.
TAKE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
local running, longest = before, 0
for i = 2, #ARGV - 1, 2 do
  if running >= cap then break end
  local lease_ms = tonumber(ARGV[i + 1])
  redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[i])
  running = running + 1
  if lease_ms > longest then longest = lease_ms end
end
-- The set lives as long as its longest lease: an idle tenant leaves nothing.
if longest > 0 and redis.call('PTTL', KEYS[1]) < longest then
  redis.call('PEXPIRE', KEYS[1], longest)
end
return {running - before, before}
"""


class Overloaded(EngineError):
    """The tenant already runs as many invocations as it may; this one did not run."""

    code = "overloaded"
    retry_after = RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class Slot:
    """One taken slot: `lease` names it in Redis; None when counted in-process."""

    tenant_id: int
    lease: str | None = None
    # When its lease runs out in Redis, at the latest (time.monotonic()).
    expires: float = 0.0


class LocalGate:
    """Count running invocations per tenant in this process."""

    def __init__(self):
        # Several event loops may share a process (tests, management commands).
        self._lock = threading.Lock()
        self._running: dict[int, int] = {}

    def take(self, tenant_id: int, cap: int) -> tuple[bool, int]:
        """Take a slot if fewer than `cap` run; return (taken, running now)."""
        with self._lock:
            running = self._running.get(tenant_id, 0)
            if running >= cap:
                return False, running
            self._running[tenant_id] = running + 1
            return True, running + 1

    def held(self, tenant_id: int) -> int:
        """How many slots of the tenant are taken (a peek, not a reservation)."""
        return self._running.get(tenant_id, 0)

    def give_back(self, tenant_id: int) -> None:
        with self._lock:
            left = self._running.get(tenant_id, 0) - 1
            if left > 0:
                self._running[tenant_id] = left
            else:
                self._running.pop(tenant_id, None)

    async def acquire(
        self, tenant_id: int, cap: int, seconds: float
    ) -> tuple[Slot | None, int]:
        """Return (the slot, or None when refused; how many run now)."""
        taken, running = self.take(tenant_id, cap)
        return (Slot(tenant_id) if taken else None), running

    async def release(self, slot: Slot) -> None:
        self.give_back(slot.tenant_id)

    def release_soon(self, slot: Slot) -> None:
        """Give the slot back, without waiting (here: at once)."""
        self.give_back(slot.tenant_id)

    async def close(self) -> None:
        """Nothing to close (RedisGate closes its connections)."""


class RedisGate:
    """Count running invocations per tenant across processes, in Redis.

    Each tenant has a sorted set of leases (random ids) scored by when they
    expire. Falls back to `local` while Redis does not answer.
    """

    def __init__(self, url: str, prefix: str, local: LocalGate | None = None):
        self.url = url
        self.prefix = prefix
        self.local = local or LocalGate()
        self._fallback_until = 0.0
        # redis.asyncio connections belong to the event loop that made them.
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Slots asked for and given back, not sent yet, per event loop:
        # {(tenant id, cap): [(lease, lease ms, Future)]}, {tenant id:
        # [(lease, Future)]}; each batch is sent by one task (_send_takes,
        # _send_frees), made when its first item comes.
        self._takes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._frees: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Those tasks, and releases left running by cancelled callers, kept
        # from the collector.
        self._pending: set[asyncio.Task] = set()
        # Leases this process holds in Redis, counted as LocalGate counts
        # slots (never refusing): see held().
        self._mine = LocalGate()

    def held(self, tenant_id: int) -> int:
        """The tenant's slots this process holds: a lower bound of all taken."""
        return self._mine.held(tenant_id) + self.local.held(tenant_id)

    def key(self, tenant_id: int) -> str:
        return f"{self.prefix}{tenant_id}"

    def _client(self):
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            import redis.asyncio as redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            pool = redis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=REDIS_CONNECTIONS,
                timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                # A failed round trip is not tried again: the local count
                # answers at once instead (see FALLBACK_SECONDS).
                retry=Retry(NoBackoff(), 0),
            )
            client = redis.Redis.from_pool(pool)  # closing it closes the pool
            found = self._clients[loop] = (client, client.register_script(TAKE))
        return found

    async def acquire(
        self, tenant_id: int, cap: int, seconds: float
    ) -> tuple[Slot | None, int]:
        """Return (the slot, or None when refused; how many run now).

        Waits for the loop's next batch of takes (see _send_takes).
        """
        if time.monotonic() < self._fallback_until:
            return await self.local.acquire(tenant_id, cap, seconds)
        handed = self._hand_over(tenant_id, seconds)
        if handed is not None:
            return handed, self.held(tenant_id)
        lease = ids.hex_id()
        lease_ms = int((seconds + LEASE_MARGIN_SECONDS) * 1000)
        answer = self._queue(self._takes, self._send_takes, (tenant_id, cap))
        return await answer(lease, lease_ms)

    async def release(self, slot: Slot) -> None:
        """Give the slot back; return once Redis has it back."""
        done = self.release_soon(slot)
        if done is not None:
            # Shielded: a cancelled caller's slot is still given back.
            await asyncio.shield(done)

    def release_soon(self, slot: Slot) -> asyncio.Future | None:
        """Give the slot back with the others this loop gives back within
        FREE_GATHER_SECONDS (one ZREM), without waiting; return the Future of
        that ZREM (None: an in-process slot, given back at once)."""
        if slot.lease is None:
            self.local.give_back(slot.tenant_id)
            return None
        self._mine.give_back(slot.tenant_id)  # once, even if the ZREM fails
        answer = self._queue(self._frees, self._send_frees, slot.tenant_id)
        return answer(slot.lease, slot.expires)

    def _hand_over(self, tenant_id: int, seconds: float) -> Slot | None:
        """A slot of the tenant given back in this loop and not yet sent back
        to Redis, whose lease outlasts `seconds`: taken over as it is, with
        no round trip (the count in Redis stays right: one ended, one began).
        """
        pending = self._frees.get(asyncio.get_running_loop())
        items = pending.get(tenant_id) if pending else None
        if not items:
            return None
        now = time.monotonic()
        for index in range(len(items) - 1, -1, -1):
            lease, expires, future = items[index]
            if expires - now >= seconds + HAND_OVER_MARGIN_SECONDS:
                del items[index]
                if not future.done():
                    future.set_result(None)
                self._mine.take(tenant_id, sys.maxsize)
                return Slot(tenant_id, lease, expires)
        return None

    def _queue(self, queues, send, group):
        """Join this loop's next batch of `queues` in `group`; return a function
        that queues an item and gives back the Future of its answer."""
        loop = asyncio.get_running_loop()
        pending = queues.get(loop)
        if pending is None:
            pending = queues[loop] = {}
            task = loop.create_task(send(loop))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        def answer(*item):
            future = loop.create_future()
            pending.setdefault(group, []).append((*item, future))
            return future

        return answer

    async def _send_takes(self, loop) -> None:
        """Ask Redis for the slots queued in this loop: one round trip per
        tenant (the ones asked for in the same moment, and one loop turn
        later, go together)."""
        await asyncio.sleep(0)
        batch = self._takes.pop(loop, {})
        for (tenant_id, cap), items in batch.items():
            asked = [item for item in items if not item[-1].done()]  # not cancelled
            if not asked:
                continue
            if time.monotonic() < self._fallback_until:
                taken, running = None, None
            else:
                _client, take = self._client()
                args = [cap]
                for lease, lease_ms, _future in asked:
                    args += [lease, lease_ms]
                sent = time.monotonic()  # Redis times the leases from later
                try:
                    taken, running = await take(keys=[self.key(tenant_id)], args=args)
                except Exception as exc:  # noqa: BLE001 - any failure: count locally
                    self._fall_back(exc)
                    taken, running = None, None
            for index, (lease, lease_ms, future) in enumerate(asked):
                if taken is None:
                    answer = await self.local.acquire(tenant_id, cap, 0)
                elif index < int(taken):
                    self._mine.take(tenant_id, sys.maxsize)
                    slot = Slot(tenant_id, lease, sent + lease_ms / 1000)
                    answer = (slot, int(running) + index + 1)
                else:
                    answer = (None, int(running) + int(taken))
                if not future.done():
                    future.set_result(answer)
                elif answer[0] is not None:
                    # Its caller went away meanwhile: give the slot back.
                    self._release_later(answer[0])

    async def _send_frees(self, loop) -> None:
        """Give back the slots released in this loop: one ZREM per tenant."""
        # Cancelled: the loop is closing (asyncio.run's end): give them back now.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(FREE_GATHER_SECONDS)
        batch = self._frees.pop(loop, {})
        for tenant_id, items in batch.items():
            client, _take = self._client()
            if not items:  # all handed over
                continue
            try:
                await client.zrem(self.key(tenant_id), *(item[0] for item in items))
            except Exception as exc:  # noqa: BLE001 - the leases expire by themselves
                self._fall_back(exc)
            for _lease, _expires, future in items:
                if not future.done():
                    future.set_result(None)

    def _release_later(self, slot: Slot) -> None:
        task = asyncio.get_running_loop().create_task(self.release(slot))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _fall_back(self, exc: Exception) -> None:
        if time.monotonic() >= self._fallback_until:
            log.warning(
                "Redis did not answer for admission (%s: %s); counting each "
                "tenant's invocations in this process alone for %g s",
                type(exc).__name__,
                exc,
                FALLBACK_SECONDS,
            )
        self._fallback_until = time.monotonic() + FALLBACK_SECONDS

    async def close(self) -> None:
        """Close this event loop's connections (the next call opens new ones)."""
        found = self._clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()


# -- the process's gate, chosen by settings ----------------------------------------


@derived
def cap() -> int:
    """SCRIPT_MAX_CONCURRENT_PER_TENANT; 0 turns the gate off."""
    return int(scripts_setting("MAX_CONCURRENT_PER_TENANT"))


@derived
def _lease_extra() -> float:
    return float(scripts_setting("INIT_TIMEOUT_SECONDS"))


_local = LocalGate()


@derived
def gate() -> LocalGate | RedisGate:
    """This process's gate: in Redis when REDIS_URL is set, else in-process."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return _local
    return RedisGate(url, _redis_prefix(), _local)


def _redis_prefix() -> str:
    # Tenant ids are rows of one database: installations (or test runs) that
    # share a Redis server must not share caps, so the key names the database.
    from django.db import connections

    return f"scripthost:admission:{connections['default'].settings_dict['NAME']}:"


# -- refusals -----------------------------------------------------------------------


class _Refusals:
    """Refusals per tenant: a total, and a warning at most every LOG_EVERY_SECONDS."""

    def __init__(self):
        self._lock = threading.Lock()
        self.total: dict[int, int] = {}
        self._unlogged: dict[int, int] = {}
        self._logged_at: dict[int, float] = {}

    def note(self, tenant, running: int, limit: int) -> None:
        now = time.monotonic()
        with self._lock:
            self.total[tenant.id] = self.total.get(tenant.id, 0) + 1
            unlogged = self._unlogged.get(tenant.id, 0) + 1
            last = self._logged_at.get(tenant.id)
            if last is not None and now - last < LOG_EVERY_SECONDS:
                self._unlogged[tenant.id] = unlogged
                return
            self._unlogged[tenant.id] = 0
            self._logged_at[tenant.id] = now
        since = "" if last is None else f" in the last {now - last:.0f} s"
        log.warning(
            "Refused %d invocation%s of tenant %s%s: %d running, the cap is %d "
            "(SCRIPT_MAX_CONCURRENT_PER_TENANT)",
            unlogged,
            "" if unlogged == 1 else "s",
            tenant.slug,
            since,
            running,
            limit,
        )

    def totals(self) -> dict[int, int]:
        with self._lock:
            return dict(self.total)


_refusals = _Refusals()


def refusals() -> dict[int, int]:
    """Invocations refused in this process since it started, by tenant id."""
    return _refusals.totals()


def shed(tenant) -> Overloaded | None:
    """Refuse at once, before any work, a call the gate would refuse anyway.

    For a front end that can answer cheaply (scripts_app.asgi's fast path):
    when this process alone holds all of the tenant's slots, a new invocation
    cannot get one, so the request is turned away before its context, its
    execution id or anything else is made. A 300-request burst is answered
    that much sooner. Exact on the embedded stack, where the process counts
    every slot; on the scaled stack a lower bound, so it never refuses what
    the gate would admit. The refusal is counted and logged as the gate's.
    """
    limit = cap()
    if limit <= 0:
        return None
    running = gate().held(tenant.id)
    if running < limit:
        return None
    return _refuse(tenant, running, limit)


def refused(outcome: Outcome) -> bool:
    """Was this invocation turned away by the gate (so nothing ran)?"""
    return isinstance(outcome.error, Overloaded)


# -- the hook -----------------------------------------------------------------------


def gated(invoke):
    """Wrap the invocation runner: take a slot of the tenant's cap, or refuse.

    `invoke` is called as invoke(engine, key, handler, context, limits, load,
    invocation), with invocation.tenant and limits.seconds known.
    """

    @functools.wraps(invoke)
    async def run(engine, key, handler, context, limits, load, invocation):
        limit = cap()
        if limit <= 0:
            return await invoke(engine, key, handler, context, limits, load, invocation)
        tenant = invocation.tenant
        counter = gate()
        slot, running = await counter.acquire(
            tenant.id, limit, limits.seconds + _lease_extra()
        )
        if slot is None:
            return Outcome(error=_refuse(tenant, running, limit))
        try:
            return await invoke(engine, key, handler, context, limits, load, invocation)
        finally:
            counter.release_soon(slot)

    return run


def _refuse(tenant, running: int, limit: int) -> Overloaded:
    """Count and log a refusal; return the error that says why."""
    _refusals.note(tenant, running, limit)
    return Overloaded(
        f"Too many script invocations at once: this tenant already runs "
        f"{running}, and its limit is {limit} (SCRIPT_MAX_CONCURRENT_PER_TENANT); "
        f"nothing was run. Try again in {RETRY_AFTER_SECONDS} s."
    )
