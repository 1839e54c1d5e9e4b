"""Find a request's tenant from its Host header or a /t/<slug>/ path prefix (R13)."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import weakref
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from core.conf import derived, scripts_setting
from tenants.models import ChangeCounter, Tenant, counter_bumped

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolution:
    tenant: Tenant | None
    path: str  # the path with any /t/<slug> prefix removed
    prefix: str = ""  # "/t/<slug>/" when the tenant came from the path
    problem: str = ""


def host_without_port(host: str) -> str:
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# Settings are read once per change, not per request.
@derived
def console_hosts() -> frozenset[str]:
    """The console's host names (lower case, no port); empty: the single host.

    See scripts_app.console: these hosts serve the console and no script route.
    """
    hosts = scripts_setting("CONSOLE_HOSTS") or ()
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return frozenset(host_without_port(h) for h in hosts if h.strip())


@derived
def _refresh_interval() -> float:
    return scripts_setting("ROUTE_REFRESH_SECONDS")


@derived
def _default_slug() -> str:
    return scripts_setting("DEFAULT_TENANT")


# Every cache, for keep_fresh() (weakly: a test's throwaway cache just goes).
_snapshots: weakref.WeakSet = weakref.WeakSet()


def invalidate_all() -> None:
    """Make every cache of this process reload on its next use."""
    for cache in list(_snapshots):
        cache.invalidate()


async def keep_fresh() -> None:
    """Refresh every cache in use once per interval, off the requests.

    Run by the server for as long as it serves (scripts_app.asgi.lifespan).
    Requests then find a recent copy (see CachedSnapshot.refresh) and never
    wait for the database thread, even the first ones after a quiet spell,
    while changes made elsewhere still show up within the interval. Without
    it (tests, management commands) requests refresh the caches themselves.
    With an interval of 0 there is nothing to do: every request reads.
    """
    while (interval := _refresh_interval()) > 0:
        await asyncio.sleep(interval)
        for cache in list(_snapshots):
            if not cache._loaded:
                continue  # never used in this process
            try:
                await cache.refresh()
            except Exception:  # noqa: BLE001 - the next round tries again
                log.warning(
                    "Could not refresh the %s cache", cache.counter, exc_info=True
                )


class CachedSnapshot:
    """Data loaded from the database, reloaded when a ChangeCounter moves.

    The counters are read at most every SCRIPT_ROUTE_REFRESH_SECONDS, so a
    change made by another process shows up here within that interval; one
    made in this process (a ChangeCounter.bump) shows up on the next use.
    When the database cannot be read, the last copy keeps serving.
    """

    counter = ""

    def __init__(self):
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._seen = None
        self._generation = 0  # moves on every invalidate()
        self._loaded = False
        # Per event loop: (the generation it started in, the refresh under way).
        self._pending: dict = {}
        counter_bumped.connect(self._bumped)  # weakly: dropped with the cache
        _snapshots.add(self)

    def _bumped(self, sender, name, **kwargs):
        if name == self.counter:
            self.invalidate()

    def load(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def stale(self) -> bool:
        return time.monotonic() - self._checked_at >= _refresh_interval()

    def refresh_sync(self, force=False):
        with self._lock:
            if not force and not self.stale():
                return
            generation = self._generation
            try:
                seen = ChangeCounter.snapshot().get(self.counter, 0)
                if force or seen != self._seen:
                    self.load()
                    self._seen = seen
                    self._loaded = True
            except DatabaseError:
                if not self._loaded:
                    raise
                log.warning(
                    "Could not refresh the %s cache; serving the last copy",
                    self.counter,
                    exc_info=True,
                )
                self._checked_at = time.monotonic()  # try again next interval
                return
            if generation == self._generation:
                self._checked_at = time.monotonic()
            else:  # invalidated while loading: what we read may predate it
                self._seen = None

    async def refresh(self, force=False):
        """Refresh off the event loop if stale (or forced).

        Requests that find the cache stale while a refresh is under way wait
        for that one: a burst of requests costs one trip to the database
        thread, not one each (300 of them queued there for tens of ms).

        They do not wait at all while the copy is recent: confirmed less than
        two intervals ago, and not invalidated by a change in this process
        since. Then the refresh runs in the background and the request goes
        on with the copy, so a burst that arrives after a quiet moment is not
        held up by the database thread (which, under load, waits for the
        GIL). A change made elsewhere thus shows up within two intervals; with
        an interval of 0 every request still reads the counters first.
        """
        if force:
            await sync_to_async(self._refresh_off_request)(force)
            return
        if not self.stale():
            return
        loop = asyncio.get_running_loop()
        started, pending = self._pending.get(loop, (None, None))
        if pending is None or started != self._generation:
            # Not one started before an invalidate(): it may read older data.
            pending = loop.create_task(sync_to_async(self._refresh_off_request)(False))
            self._pending[loop] = (self._generation, pending)
            pending.add_done_callback(functools.partial(self._settled, loop))
        if not self._recent():
            await asyncio.shield(pending)

    def _recent(self) -> bool:
        """Is the copy fit to serve while a refresh runs (see refresh)?"""
        return (
            self._loaded
            and self._seen is not None
            and time.monotonic() - self._checked_at < 2 * _refresh_interval()
        )

    def _settled(self, loop, done):
        if self._pending.get(loop, (None, None))[1] is done:
            del self._pending[loop]
        if not done.cancelled():
            done.exception()  # retrieved: the waiters re-raise it

    def _refresh_off_request(self, force):
        # Django replaces broken or expired connections around each request;
        # the fast path polls from a thread no request passes through.
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        self.refresh_sync(force)

    def invalidate(self):
        """Make the next access reload (used after a change in this process)."""
        self._generation += 1
        self._checked_at = float("-inf")
        self._seen = None


class TenantDirectory(CachedSnapshot):
    """Every tenant by slug and by domain, reloaded when 'tenants' moves.

    The Host header wins: a known domain picks its tenant and the path is
    left untouched, so on acme.test "/t/globex/hello" is just a path of acme
    (and, being under the reserved /t/, never a script route). Only a host
    no tenant claims lets a /t/<slug>/ prefix choose, then the default tenant.
    """

    counter = "tenants"

    def __init__(self):
        super().__init__()
        self.by_slug: dict[str, Tenant] = {}
        self.by_domain: dict[str, Tenant] = {}

    def load(self):
        tenants = list(Tenant.objects.all())
        self.by_slug = {t.slug: t for t in tenants}
        self.by_domain = {d: t for t in tenants for d in (t.domains or [])}

    def lookup(self, host: str, path: str) -> Resolution:
        tenant = self.by_domain.get(host_without_port(host))
        if tenant is not None:
            return Resolution(tenant, path)
        if path.startswith("/t/"):
            slug, _, rest = path[3:].partition("/")
            tenant = self.by_slug.get(slug)
            if tenant is None:
                return Resolution(None, path, problem=f"No tenant named '{slug}'.")
            return Resolution(tenant, "/" + rest, prefix=f"/t/{slug}/")
        default = self.by_slug.get(_default_slug())
        if default is None:
            return Resolution(None, path, problem="The default tenant does not exist.")
        return Resolution(default, path)

    def resolve_sync(self, host: str, path: str) -> Resolution:
        self.refresh_sync()
        return self.lookup(host, path)

    async def resolve(self, host: str, path: str) -> Resolution:
        if self.stale():  # a cheap check: most requests have nothing to await
            await self.refresh()
        return self.lookup(host, path)


_directory = TenantDirectory()


def directory() -> TenantDirectory:
    return _directory
