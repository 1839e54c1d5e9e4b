"""The engine: a bounded LRU pool of warm script contexts (R2)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from engine.context import Limits, Outcome, ScriptContext
from engine.errors import CompileError


@dataclass(frozen=True)
class ScriptSource:
    """What the engine needs to build a context: the code and how to name it."""

    source: str
    filename: str
    init_context: dict


# A pool key is (script identity, version): one context per version, never shared.
Key = tuple[Hashable, Hashable]
SourceLoader = Callable[[], Awaitable[ScriptSource]]


class Engine:
    """Run script handlers in warm, per-script V8 contexts.

    Build one per event loop and call it only from that loop. `invoke` never
    raises for script failures: they come back as `Outcome.error`.
    """

    def __init__(
        self, pool_size: int = 64, *, load_limits: Limits, config: dict | None = None
    ):
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.pool_size = pool_size
        self.load_limits = load_limits
        self.config = config or {}
        self._pool: OrderedDict[Key, ScriptContext] = OrderedDict()
        self._building: dict[Key, asyncio.Future] = {}
        self.stats = {"hits": 0, "misses": 0, "evictions": 0, "discarded": 0}

    # -- upload-time analysis ---------------------------------------------------------

    async def analyze(self, source: ScriptSource) -> Outcome:
        """Compile a script, run its top level and init(); return registrations.

        Raises CompileError for invalid source; other failures are in the outcome.
        """
        ctx = ScriptContext(source.filename, self.config)
        try:
            return await ctx.load(source.source, source.init_context, self.load_limits)
        finally:
            ctx.close()

    # -- invocations --------------------------------------------------------------------

    async def invoke(
        self, key: Key, handler: str, context: dict, limits: Limits, load: SourceLoader
    ) -> Outcome:
        """Call `handler` of the script version `key`, building its context if cold."""
        try:
            ctx = await self._context_for(key, load)
        except CompileError as exc:
            return Outcome(error=exc)
        except _LoadFailed as exc:
            return exc.outcome
        ctx.users += 1
        try:
            async with ctx.lock:
                if ctx.closed:  # discarded while we waited: run on a fresh one
                    ctx.users -= 1
                    return await self.invoke(key, handler, context, limits, load)
                outcome = await ctx.invoke(handler, context, limits)
        finally:
            ctx.users = max(ctx.users - 1, 0)
        if ctx.closed:
            # Stopped for time or memory: drop it so the next call rebuilds (R8).
            self._forget(key, ctx)
            self.stats["discarded"] += 1
        elif ctx.retired and ctx.users == 0:
            ctx.close()
        return outcome

    async def _context_for(self, key: Key, load: SourceLoader) -> ScriptContext:
        ctx = self._pool.get(key)
        if ctx is not None and not ctx.closed:
            self._pool.move_to_end(key)
            self.stats["hits"] += 1
            return ctx
        pending = self._building.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        self.stats["misses"] += 1
        future = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            ctx = await self._build(key, load)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved; waiters re-raise it
            raise
        else:
            future.set_result(ctx)
        finally:
            del self._building[key]
        return ctx

    async def _build(self, key: Key, load: SourceLoader) -> ScriptContext:
        source = await load()
        ctx = ScriptContext(source.filename, self.config)
        outcome = await ctx.load(source.source, source.init_context, self.load_limits)
        if outcome.error is not None:
            ctx.close()
            raise _LoadFailed(outcome)
        self.evict(key[0])  # older versions of the same script
        self._pool[key] = ctx
        while len(self._pool) > self.pool_size:
            _, old = self._pool.popitem(last=False)
            self._retire(old)
            self.stats["evictions"] += 1
        return ctx

    # -- eviction ------------------------------------------------------------------------

    def evict(self, script: Hashable) -> int:
        """Drop every context of `script`, whatever its version."""
        keys = [k for k in self._pool if k[0] == script]
        for k in keys:
            self._retire(self._pool.pop(k))
        return len(keys)

    def clear(self) -> None:
        for ctx in self._pool.values():
            self._retire(ctx)
        self._pool.clear()

    def __len__(self) -> int:
        return len(self._pool)

    def __contains__(self, key: Key) -> bool:
        return key in self._pool

    def _forget(self, key: Key, ctx: ScriptContext) -> None:
        if self._pool.get(key) is ctx:
            del self._pool[key]

    @staticmethod
    def _retire(ctx: ScriptContext) -> None:
        ctx.retired = True
        if ctx.users == 0:
            ctx.close()


class _LoadFailed(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(str(outcome.error))
        self.outcome = outcome
