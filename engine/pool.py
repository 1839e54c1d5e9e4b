"""The engine: a bounded LRU pool of warm script contexts (R2)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from engine.context import ContextGone, Limits, Outcome, ScriptContext
from engine.errors import CompileError, ScriptInterrupted
from engine.host import NO_HOST, Host


@dataclass(frozen=True)
class ScriptSource:
    """What the engine needs to build a context: the code and how to name it."""

    source: str
    filename: str
    init_context: dict


# How often one call may find its context discarded before it started on it.
MAX_FRESH_STARTS = 3
# A pool key is (script identity, version): one context per version, never shared.
Key = tuple[Hashable, Hashable]
SourceLoader = Callable[[], Awaitable[ScriptSource]]


class Engine:
    """Run script handlers in warm, per-script V8 contexts.

    Build one per event loop and call it only from that loop. `invoke` never
    raises for script failures: they come back as `Outcome.error`.
    """

    def __init__(
        self,
        pool_size: int = 64,
        *,
        load_limits: Limits,
        config: dict | None = None,
        modules: tuple[str, ...] = (),
    ):
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.pool_size = pool_size
        self.load_limits = load_limits
        self.config = config or {}
        # JS API modules, `function (g, api) {...}`, run after the prelude.
        self.modules = tuple(modules)
        self._pool: OrderedDict[Key, ScriptContext] = OrderedDict()
        self._building: dict[Key, asyncio.Task] = {}
        # Bumped by evict() and clear(): a build that started before is not pooled.
        self._generation = 0
        self.stats = {"hits": 0, "misses": 0, "evictions": 0, "discarded": 0}

    # -- upload-time analysis ---------------------------------------------------------

    async def analyze(self, source: ScriptSource) -> Outcome:
        """Compile a script, run its top level and init(); return registrations.

        Raises CompileError for invalid source; other failures are in the outcome.
        """
        ctx = ScriptContext(source.filename, self.config, self.modules)
        try:
            return await ctx.load(source.source, source.init_context, self.load_limits)
        finally:
            ctx.close()

    # -- invocations --------------------------------------------------------------------

    async def invoke(
        self,
        key: Key,
        handler: str,
        context: dict,
        limits: Limits,
        load: SourceLoader,
        host: Host | None = None,
        _retries: int = 0,
    ) -> Outcome:
        """Call `handler` of the script version `key`, building its context if cold.

        `host` performs the script's Promise-returning calls for this invocation.
        """
        try:
            ctx = await self._context_for(key, load)
        except CompileError as exc:
            return Outcome(error=exc)
        except _LoadFailed as exc:
            return exc.outcome
        try:
            outcome = await ctx.invoke(handler, context, limits, host)
        except ContextGone as gone:
            # Another call stopped the context under this one: run this one again
            # on a fresh context, unless that could repeat something irreversible.
            self._forget(key, ctx)
            host = host if host is not None else NO_HOST
            if (gone.started and not host.repeatable()) or _retries >= MAX_FRESH_STARTS:
                return Outcome(
                    error=ScriptInterrupted(
                        "Stopped because another call of this script exceeded its "
                        "limits while this one ran; nothing it wrote was kept"
                    )
                )
            return await self.invoke(
                key, handler, context, limits, load, host, _retries=_retries + 1
            )
        if not ctx.usable and self._forget(key, ctx):
            # Stopped for time or memory: drop it so the next call rebuilds (R8).
            self.stats["discarded"] += 1
        return outcome

    async def _context_for(self, key: Key, load: SourceLoader) -> ScriptContext:
        ctx = self._pool.get(key)
        if ctx is not None and ctx.usable:
            self._pool.move_to_end(key)
            self.stats["hits"] += 1
            return ctx
        build = self._building.get(key)
        if build is None:
            # A task of its own, so that every caller waiting for this key gets the
            # context even if the caller that started the build is cancelled.
            self.stats["misses"] += 1
            build = asyncio.get_running_loop().create_task(
                self._build(key, load, self._generation)
            )
            self._building[key] = build
            build.add_done_callback(lambda done: self._built(key, done))
        return await asyncio.shield(build)

    def _built(self, key: Key, build: asyncio.Task) -> None:
        if self._building.get(key) is build:
            del self._building[key]
        if not build.cancelled():
            build.exception()  # retrieved: every waiter re-raises it

    async def _build(
        self, key: Key, load: SourceLoader, generation: int
    ) -> ScriptContext:
        source = await load()
        ctx = ScriptContext(source.filename, self.config, self.modules)
        outcome = await ctx.load(source.source, source.init_context, self.load_limits)
        if outcome.error is not None:
            ctx.close()
            raise _LoadFailed(outcome)
        if generation != self._generation:
            # Evicted or cleared while building: serve the callers, pool nothing.
            ctx.retired = True
            return ctx
        self._drop(key[0])  # older versions of the same script
        self._pool[key] = ctx
        while len(self._pool) > self.pool_size:
            _, old = self._pool.popitem(last=False)
            old.retire()
            self.stats["evictions"] += 1
        return ctx

    # -- eviction ------------------------------------------------------------------------

    def evict(self, script: Hashable) -> int:
        """Drop every context of `script`, whatever its version; return how many.

        A context still serving a call is closed when its last call ends.
        """
        self._generation += 1
        return self._drop(script)

    def clear(self) -> None:
        """Drop every context (busy ones close when their last call ends)."""
        self._generation += 1
        for ctx in self._pool.values():
            ctx.retire()
        self._pool.clear()

    def _drop(self, script: Hashable) -> int:
        keys = [k for k in self._pool if k[0] == script]
        for k in keys:
            self._pool.pop(k).retire()
        return len(keys)

    def __len__(self) -> int:
        return len(self._pool)

    def __contains__(self, key: Key) -> bool:
        return key in self._pool

    def _forget(self, key: Key, ctx: ScriptContext) -> bool:
        if self._pool.get(key) is ctx:
            del self._pool[key]
            return True
        return False


class _LoadFailed(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(str(outcome.error))
        self.outcome = outcome
