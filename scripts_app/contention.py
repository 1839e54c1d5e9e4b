"""Locks on contended keys: a hot key's writers take turns instead of failing (R5).

An invocation's writes are checked against what it read (compare and set)
and it runs again on a conflict. Under heavy contention on one key the
optimistic re-runs keep losing to each other, so after
SCRIPT_STORAGE_OPTIMISTIC_ATTEMPTS runs scripts_app.hosting runs the
invocation again holding a lock on the names its conflicts reported
(EffectConflict.keys, chosen by the app that applies the writes, such as
"storage:<namespace>:<key>"; the tenant is added here). The lock is an
optimisation of progress, never of correctness: the version checks still
decide what lands.

Where the locks are:

- in this process: an asyncio.Lock per (tenant, name) and event loop, so one
  invocation per process waits on other processes while the rest queue here;
- with REDIS_URL, also in Redis, across every process: SET NX PX of a random
  token (expiring a little after the holder's time limit, so a process that
  died frees its locks) polled every few milliseconds, and deleted by a Lua
  compare-and-delete. If Redis does not answer, the lock holds in this
  process only, with a warning in the log;
- without Redis (the embedded stack, whose server may run several worker
  processes on one machine), also in a lock file, across the machine's
  processes: an flock on one of FILE_BUCKETS files in the var dir (by a hash
  of the name; a process that dies lets go of its flocks), polled as the
  Redis lock is. Two names may share a file: they then take turns, which
  costs some waiting and nothing else. Files are taken in the order of their
  numbers, after every lock of this process, so no two holders deadlock.

Waiting is bounded: `acquire` gives up after the seconds it is given (the
caller passes what is left of the invocation's time limit, at most
SCRIPT_STORAGE_LOCK_WAIT_SECONDS) and the invocation fails with a 503, never
hangs. Names are taken in sorted order, so two holders of several names
cannot deadlock.

Newcomers yield to a holder: `held_elsewhere` lets an app refuse, as a
conflict, the writes of an invocation that read a name another invocation of
this process holds, so the holder's run is not overtaken by optimistic runs
that started after it. An invocation a holder starts while it runs (a
listener, a GraphQL resolver: the holder waits for it) shares the holder's
locks (`holding`, a context variable), so it neither yields to its caller nor
waits for a lock its caller holds.
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import hashlib
import logging
import os
import random
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from core import ids
from core.conf import derived

log = logging.getLogger(__name__)

# A Redis lock outlives its holder's time limit by this much at most.
LEASE_MARGIN_SECONDS = 5.0
# Each Redis round trip gives up after this; the lock is then this process's.
REDIS_TIMEOUT_SECONDS = 0.5
# Waiters on a lock another process holds ask again after a random pause in
# this range (a holder keeps it for one run of the script: milliseconds).
POLL_SECONDS = (0.001, 0.005)
WARN_EVERY_SECONDS = 10.0
# How many lock files the names hash into (without Redis).
FILE_BUCKETS = 1024

# Delete the lock only if it is still ours (it may have expired and been taken).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# The full names the running invocation (and so those it starts) holds.
_holding: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "scripthost_contention_holding", default=frozenset()
)


def holding() -> frozenset:
    """The locks the invocation that started this one holds (nested calls)."""
    return _holding.get()


def hold(names: frozenset) -> contextvars.Token:
    """Say that what runs from here on holds `names`; undo with release_hold."""
    return _holding.set(names)


def release_hold(token: contextvars.Token) -> None:
    _holding.reset(token)


def lock_name(tenant_id: int, name: str) -> str:
    """The full name of an app's lock name within a tenant."""
    return f"{tenant_id}:{name}"


@dataclass
class Held:
    """Locks one invocation holds; give them back with KeyLocks.release."""

    names: frozenset  # full names (lock_name)
    tokens: dict  # full name -> Redis key and token, for those held in Redis
    files: list = field(default_factory=list)  # descriptors of the flocked files


class KeyLocks:
    """Locks by name: in this process, and in Redis when a URL is given."""

    def __init__(self, redis_url: str = "", prefix: str = "", folder=None):
        self.redis_url = redis_url
        self.prefix = prefix
        # Without Redis: the folder of the lock files shared by the machine's
        # processes (None: this process's locks only).
        self.folder = Path(folder) if folder and not redis_url else None
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a read-only var dir: this process's locks only
                log.warning(
                    "No lock files for contended keys in %s (%s): invocations "
                    "contending for a key take turns in each process only",
                    self.folder,
                    exc,
                )
                self.folder = None
        # asyncio locks belong to the event loop that uses them.
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Names held now, by any loop of the process: read by held_elsewhere
        # from the thread that applies effects, written on the loops.
        self._held: dict[str, int] = {}
        self._held_lock = threading.Lock()
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Redis releases still running, kept from the garbage collector.
        self._pending: set[asyncio.Task] = set()
        self._warned_at = 0.0

    # -- the process's part ------------------------------------------------------

    def _local(self, name: str) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        locks = self._locks.get(loop)
        if locks is None:
            locks = self._locks[loop] = {}
        lock = locks.get(name)
        if lock is None:
            lock = locks[name] = asyncio.Lock()
        return lock

    def _forget(self, name: str) -> None:
        """Drop an idle lock, so a process does not keep one per key ever locked."""
        locks = self._locks.get(asyncio.get_running_loop(), {})
        lock = locks.get(name)
        # asyncio.Lock keeps its waiters in _waiters (None until one waits);
        # one woken but not yet run is still there, so it is never dropped.
        if lock is not None and not lock.locked() and not lock._waiters:
            del locks[name]

    def held(self, name: str) -> bool:
        """Is `name` (a full name) held by an invocation of this process?"""
        return name in self._held

    def _mark(self, name: str, step: int) -> None:
        with self._held_lock:
            count = self._held.get(name, 0) + step
            if count > 0:
                self._held[name] = count
            else:
                self._held.pop(name, None)

    # -- taking and giving back ------------------------------------------------------

    async def acquire(self, names, seconds: float, lease_seconds: float) -> Held | None:
        """Take every lock of `names` within `seconds`; None if that was not possible.

        `lease_seconds` bounds how long a Redis lock outlives a holder that
        never gives it back (a process that died).
        """
        deadline = time.monotonic() + max(seconds, 0.0)
        held = Held(frozenset(names), {})
        taken: list[str] = []
        complete = False
        try:
            for name in sorted(held.names):
                lock = self._local(name)
                try:
                    await asyncio.wait_for(
                        lock.acquire(), max(deadline - time.monotonic(), 0.0)
                    )
                except TimeoutError:
                    self._forget(name)
                    return None
                taken.append(name)
                self._mark(name, 1)
                if self.redis_url and not await self._take_redis(
                    name, held, deadline, lease_seconds
                ):
                    return None
            if self.folder is not None and not await self._take_files(held, deadline):
                return None
            complete = True
            return held
        finally:
            if not complete:
                await self._give_back(taken, held)

    async def release(self, held: Held) -> None:
        """Give back every lock of `held`."""
        await self._give_back(sorted(held.names), held)

    async def _give_back(self, names: list[str], held: Held) -> None:
        in_redis = [held.tokens.pop(n) for n in names if n in held.tokens]
        # No await before the process's locks are free: a caller cancelled
        # here (its client went away) must not leave a key locked for good.
        files, held.files = held.files, []
        for fd in reversed(files):
            _unlock_file(fd)
        for name in names:
            self._mark(name, -1)
            lock = self._local(name)
            if lock.locked():
                lock.release()
            self._forget(name)
        if in_redis:
            # Shielded: a cancelled caller's Redis locks are still deleted.
            task = asyncio.get_running_loop().create_task(self._release_all(in_redis))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            await asyncio.shield(task)

    # -- lock files (no Redis) ------------------------------------------------------

    def _file_of(self, name: str) -> int:
        digest = hashlib.sha256(name.encode()).digest()
        return int.from_bytes(digest[:4], "big") % FILE_BUCKETS

    async def _take_files(self, held: Held, deadline: float) -> bool:
        """flock the files of held.names, in order, before the deadline."""
        for bucket in sorted({self._file_of(n) for n in held.names}):
            try:
                fd = os.open(
                    self.folder / f"{bucket}.lock", os.O_RDWR | os.O_CREAT, 0o600
                )
            except OSError as exc:  # the process's lock still holds
                self._warn(exc, "a lock file")
                continue
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            os.close(fd)
                            return False
                        await asyncio.sleep(random.uniform(*POLL_SECONDS))
                        continue
                    held.files.append(fd)
                    break
            except BaseException:
                if fd not in held.files:
                    os.close(fd)
                raise
        return True

    # -- Redis ------------------------------------------------------------------

    def _client(self):
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            import redis.asyncio as redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            client = redis.Redis.from_url(
                self.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            found = self._clients[loop] = (client, client.register_script(RELEASE))
        return found

    def _redis_key(self, name: str) -> str:
        # Hashed: storage keys may be long, and their names need not reach Redis.
        return self.prefix + hashlib.sha256(name.encode()).hexdigest()[:32]

    async def _take_redis(
        self, name: str, held: Held, deadline: float, lease_seconds: float
    ) -> bool:
        client, _release = self._client()
        key, token = self._redis_key(name), ids.hex_id()
        lease_ms = int((lease_seconds + LEASE_MARGIN_SECONDS) * 1000)
        while True:
            try:
                taken = await client.set(key, token, nx=True, px=lease_ms)
            except asyncio.CancelledError:
                held.tokens[name] = (key, token)  # it may have been set
                raise
            except Exception as exc:  # noqa: BLE001 - the process's lock still holds
                self._warn(exc, "Redis")
                return True
            if taken:
                held.tokens[name] = (key, token)
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(random.uniform(*POLL_SECONDS))

    async def _release_all(self, in_redis: list[tuple[str, str]]) -> None:
        _client, release = self._client()
        for key, token in in_redis:
            try:
                await release(keys=[key], args=[token])
            except Exception as exc:  # noqa: BLE001 - the lock expires by itself
                self._warn(exc, "Redis")

    def _warn(self, exc: Exception, where: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "%s did not answer for a lock on contended keys (%s: %s); "
                "invocations contending for a key take turns in each process only",
                where,
                type(exc).__name__,
                exc,
            )

    async def close(self) -> None:
        """Close this event loop's Redis connections (the next lock opens new ones)."""
        found = self._clients.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()


@derived
def locks() -> KeyLocks:
    """This process's locks: in Redis too when REDIS_URL is set."""
    from django.db import connections

    # Installations (or test runs) sharing a Redis server, or a machine,
    # must not share locks.
    database = connections["default"].settings_dict["NAME"]
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        named = hashlib.sha256(str(database).encode()).hexdigest()[:16]
        return KeyLocks(folder=Path(settings.VAR_DIR) / "keylocks" / named)
    return KeyLocks(url, f"scripthost:lock:{database}:")


def _unlock_file(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_elsewhere(invocation, names) -> list[str]:
    """Which of an app's lock `names` (an iterable) another invocation here holds.

    An app raises EffectConflict(keys=...) with them instead of applying the
    writes, so the holder is not overtaken (see the module docstring).
    """
    current = locks()
    if not current._held:  # the usual case: nothing locked in this process
        return []
    mine = invocation.holds
    tenant_id = invocation.tenant.id
    return [
        name
        for name in names
        if (full := lock_name(tenant_id, name)) not in mine and current.held(full)
    ]
