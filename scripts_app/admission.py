"""Bound each tenant's running invocations (R9): past the cap, refuse at once.

The contract: `gated` wraps the one invocation runner
(scripts_app.hosting.invoke_with_effects), so it holds for every kind of
invocation (HTTP routes, listeners, resolvers, stream customizers...). Before
the engine is called, the invocation takes one of its tenant's
SCRIPT_MAX_CONCURRENT_PER_TENANT slots and keeps it until it ends, however it
ends (retries after write conflicts and the applying of its effects
included). With no slot free it is refused at once: the runner returns an
Outcome whose error is `Overloaded`, having run nothing and written nothing.
Nothing ever waits for a slot, so no invocation's time limit is spent queued
here; the HTTP answer is 429 with Retry-After (scripts_app.http.reply_for).

Where the slots are counted:

- embedded stack (no REDIS_URL): in this process (`LocalGate`);
- scaled stack: in Redis, across every process (`RedisGate`), one sorted set
  of leases per tenant, taken with one Lua script (one round trip) and given
  back with one ZREM. A lease expires a little after the longest its
  invocation may run, so the slots of a process that died come back;
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

# Take a slot: drop the expired leases, then add this one if there is room.
# Redis's own clock times every lease, so the processes' clocks never matter.
# Returns {1 if taken else 0, leases running now (this one included)}.
TAKE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease_ms = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local running = redis.call('ZCARD', KEYS[1])
if running >= tonumber(ARGV[2]) then
  return {0, running}
end
redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[1])
-- The set lives as long as its longest lease: an idle tenant leaves nothing.
if redis.call('PTTL', KEYS[1]) < lease_ms then
  redis.call('PEXPIRE', KEYS[1], lease_ms)
end
return {1, running + 1}
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
        # Releases left running by cancelled callers, kept from the collector.
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
        """Return (the slot, or None when refused; how many run now)."""
        if time.monotonic() < self._fallback_until:
            return await self.local.acquire(tenant_id, cap, seconds)
        _client, take = self._client()
        lease = ids.hex_id()
        lease_ms = int((seconds + LEASE_MARGIN_SECONDS) * 1000)
        try:
            taken, running = await take(
                keys=[self.key(tenant_id)], args=[lease, cap, lease_ms]
            )
        except asyncio.CancelledError:
            # The lease may have been added before the caller went away.
            self._release_later(Slot(tenant_id, lease))
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: count locally
            self._fall_back(exc)
            return await self.local.acquire(tenant_id, cap, seconds)
        if not taken:
            return None, int(running)
        self._mine.take(tenant_id, sys.maxsize)
        return Slot(tenant_id, lease), int(running)

    async def release(self, slot: Slot) -> None:
        if slot.lease is None:
            await self.local.release(slot)
            return
        self._mine.give_back(slot.tenant_id)  # once, even if the ZREM fails
        client, _take = self._client()
        try:
            await client.zrem(self.key(slot.tenant_id), slot.lease)
        except asyncio.CancelledError:
            self._release_later(slot)  # a cancelled caller still gives it back
            raise
        except Exception as exc:  # noqa: BLE001 - the lease expires by itself
            self._fall_back(exc)

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
            await counter.release(slot)

    return run


def _refuse(tenant, running: int, limit: int) -> Overloaded:
    """Count and log a refusal; return the error that says why."""
    _refusals.note(tenant, running, limit)
    return Overloaded(
        f"Too many script invocations at once: this tenant already runs "
        f"{running}, and its limit is {limit} (SCRIPT_MAX_CONCURRENT_PER_TENANT); "
        f"nothing was run. Try again in {RETRY_AFTER_SECONDS} s."
    )
