"""The engine: a bounded LRU pool of warm script contexts (R2)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from engine.context import (
    ContextGone,
    Limits,
    Outcome,
    ScriptContext,
    set_script_nice,
)
from engine.errors import CompileError, ScriptBusy, ScriptInterrupted
from engine.host import NO_HOST, Host


@dataclass(frozen=True)
class ScriptSource:
    """What the engine needs to build a context: the code and how to name it."""

    source: str
    filename: str
    init_context: dict
    # Run the source in strict mode even without its own "use strict" (a
    # Predix script: the seed says they all run strict).
    strict: bool = False
    # Run the source as the body of a generator `<name>` (generator_of) instead
    # of as a script (a Predix script: a coroutine body, with top-level
    # `yield`, `await` and `return`); its handlers then call that function.
    body_function: str = ""


# How often one call may find its context discarded before it started on it.
MAX_FRESH_STARTS = 3
# A pool key is (script identity, version): contexts of one version, never shared.
Key = tuple[Hashable, Hashable]
SourceLoader = Callable[[], Awaitable[ScriptSource]]


@dataclass
class _Slot:
    """The warm contexts of one script version, and the calls waiting for one."""

    contexts: list[ScriptContext] = field(default_factory=list)
    calls: dict[ScriptContext, int] = field(default_factory=dict)  # under way
    building: int = 0
    waiters: deque[asyncio.Future] = field(default_factory=deque)
    load: SourceLoader | None = None  # the latest caller's, for builds


class Engine:
    """Run script handlers in warm, per-script V8 contexts.

    Build one per event loop and call it only from that loop. `invoke` never
    raises for script failures: they come back as `Outcome.error`.

    A script blocked in a host call (R6) holds its isolate's thread, and the
    calls queued on that isolate wait behind it. So a context serves one
    invocation at a time, and a second request for the same script gets
    another warm context of the same version, built on demand, up to
    `contexts_per_script`; past that, calls wait (outside their time limit)
    for one to come free. Except for short calls: a context whose calls take
    under `pipeline_ms` and never waited for the host (pure JS, or reads
    answered at once) takes more calls while it runs one, queued on its
    isolate, so V8 always has the next one ready. That is the fastest way to
    serve them (one context with a queue answered a third more requests per
    second than several taking one call each), and a call queued there waits
    only for calls known to be short. `pool_size` bounds the contexts of all
    scripts together; the least recently used script's idle contexts go first.
    """

    def __init__(
        self,
        pool_size: int = 64,
        *,
        load_limits: Limits,
        config: dict | None = None,
        modules: tuple[str, ...] = (),
        contexts_per_script: int = 8,
        pipeline_ms: float = 2.0,
        nice: int = 0,
    ):
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if contexts_per_script < 1:
            raise ValueError("contexts_per_script must be at least 1")
        set_script_nice(nice)  # process-wide: every engine's contexts run there
        self.pool_size = pool_size
        self.contexts_per_script = min(contexts_per_script, pool_size)
        self.pipeline_ms = pipeline_ms
        self.load_limits = load_limits
        self.config = config or {}
        # JS API modules, `function (g, api) {...}`, run after the prelude.
        self.modules = tuple(modules)
        self._slots: OrderedDict[Key, _Slot] = OrderedDict()
        self._size = 0  # contexts in the slots
        # Bumped by evict() and clear(): a build that started before is not pooled.
        self._generation = 0
        self._builds: set[asyncio.Task] = set()
        self.stats = {"hits": 0, "misses": 0, "evictions": 0, "discarded": 0}

    # -- upload-time analysis ---------------------------------------------------------

    async def analyze(self, source: ScriptSource) -> Outcome:
        """Compile a script, run its top level and init(); return registrations.

        Raises CompileError for invalid source; other failures are in the outcome.
        """
        ctx = ScriptContext(source.filename, self.config, self.modules)
        try:
            return await ctx.load(
                source.source,
                source.init_context,
                self.load_limits,
                source.strict,
                source.body_function,
            )
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
        """Call `handler` of the script version `key`, building a context if needed.

        `host` performs the script's host calls for this invocation. Time spent
        waiting for a context does not count against `limits`.
        """
        try:
            ctx = await self._acquire(key, load, limits.seconds)
        except CompileError as exc:
            return Outcome(error=exc)
        except _LoadFailed as exc:
            return exc.outcome
        except ScriptBusy as exc:
            return Outcome(error=exc)
        try:
            outcome = await ctx.invoke(handler, context, limits, host)
        except ContextGone as gone:
            # The context went away under this call: run it again on a fresh
            # context, unless that could repeat something irreversible.
            self._release(key, ctx)
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
        except BaseException:
            self._release(key, ctx)
            raise
        if not ctx.usable:
            # Stopped for time or memory: the next call gets a fresh one (R8).
            self.stats["discarded"] += 1
        self._release(key, ctx)
        return outcome

    async def warm(self, key: Key, load: SourceLoader, wait: float) -> bool:
        """Have a warm context of `key` in the pool, built now if there is none.

        For a caller that knows calls are coming (a scheduled run due in a
        moment): the build happens before they do. True when one is warm;
        False when the script does not load or its contexts stayed busy
        `wait` s (the calls will say why when they come).
        """
        if key in self:
            self._slots.move_to_end(key)
            return True
        try:
            ctx = await self._acquire(key, load, wait)
        except (CompileError, _LoadFailed, ScriptBusy):
            return False
        self._release(key, ctx)
        return True

    def room(self) -> int:
        """How many more contexts the pool holds before it evicts any."""
        return max(self.pool_size - self._size, 0)

    def _takes(self, slot: _Slot, ctx: ScriptContext) -> bool:
        """May `ctx` take one more call: idle, or busy with short calls only?"""
        if not ctx.usable or ctx.retired:
            return False
        if slot.calls.get(ctx, 0) == 0:
            return True
        typical = ctx.typical_ms
        return (
            typical is not None
            and typical <= self.pipeline_ms
            and not ctx.waited_for_host
        )

    async def _acquire(self, key: Key, load: SourceLoader, wait: float):
        """Assign a context of `key` that takes the call, or wait for one."""
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot(load=load)
        else:
            slot.load = load
            self._slots.move_to_end(key)
            takers = [c for c in slot.contexts if self._takes(slot, c)]
            if takers:
                # A context already running short calls first: one isolate
                # with a queue beats several idle ones (see the docstring).
                ctx = max(takers, key=lambda c: slot.calls.get(c, 0))
                slot.calls[ctx] = slot.calls.get(ctx, 0) + 1
                self.stats["hits"] += 1
                return ctx
        waiter = asyncio.get_running_loop().create_future()
        slot.waiters.append(waiter)
        self._grow(key, slot)
        try:
            async with asyncio.timeout(wait):
                return await asyncio.shield(waiter)
        except BaseException as exc:
            got = waiter.done() and not waiter.cancelled() and not waiter.exception()
            if isinstance(exc, TimeoutError):
                if got:
                    return waiter.result()  # handed over just in time
                raise ScriptBusy(
                    f"All {self.contexts_per_script} contexts of this script "
                    f"stayed busy for {wait:g} s; try again later"
                ) from None
            if got:
                self._release(key, waiter.result())  # handed over just too late
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            if waiter in slot.waiters:
                slot.waiters.remove(waiter)

    def _grow(self, key: Key, slot: _Slot) -> None:
        """Start a build for each waiter no build or free context will serve.

        A cold script gets one build at a time until one succeeds, so a burst
        of calls to a script that does not load loads it once.
        """
        while (
            slot.building < len(slot.waiters)
            and len(slot.contexts) + slot.building < self.contexts_per_script
            and (slot.contexts or not slot.building)
        ):
            slot.building += 1
            self.stats["misses"] += 1
            # A task of its own: its context serves whoever waits when it is done.
            build = asyncio.get_running_loop().create_task(
                self._build(key, slot, slot.load, self._generation)
            )
            self._builds.add(build)
            build.add_done_callback(self._builds.discard)
            build.add_done_callback(_retrieved)

    async def _build(
        self, key: Key, slot: _Slot, load: SourceLoader, generation: int
    ) -> None:
        try:
            source = await load()
            ctx = ScriptContext(source.filename, self.config, self.modules)
            outcome = await ctx.load(
                source.source,
                source.init_context,
                self.load_limits,
                source.strict,
                source.body_function,
            )
            if outcome.error is not None:
                ctx.close()
                raise _LoadFailed(outcome)
        except BaseException as exc:
            slot.building -= 1
            if not slot.building and not any(c.usable for c in slot.contexts):
                # Nothing else will serve them: every waiter gets the failure.
                error = exc if isinstance(exc, Exception) else _cancelled()
                for waiter in slot.waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
            raise
        slot.building -= 1
        if generation != self._generation or self._slots.get(key) is not slot:
            # Evicted or cleared while building: serve one waiter, pool nothing.
            ctx.retired = True
            if not self._hand_over(slot, ctx):
                ctx.close()
            return
        self._drop(key[0], keep=key)  # older versions of the same script
        slot.contexts.append(ctx)
        self._size += 1
        self._trim()
        if not self._hand_over(slot, ctx) and ctx.retired:
            ctx.close()  # trimmed at once, and nobody waits for it any more
        self._grow(key, slot)  # warm now: more builds for those still waiting

    def _hand_over(self, slot: _Slot, ctx: ScriptContext) -> bool:
        """Give `ctx` to the first caller still waiting; False if none is."""
        while slot.waiters:
            waiter = slot.waiters.popleft()
            if not waiter.done():
                slot.calls[ctx] = slot.calls.get(ctx, 0) + 1
                waiter.set_result(ctx)
                return True
        return False

    def _release(self, key: Key, ctx: ScriptContext) -> None:
        """The call on `ctx` is over: hand it on, or let it go if it is spent."""
        slot = self._slots.get(key)
        if slot is None:
            return
        calls = slot.calls.get(ctx, 0) - 1
        if calls > 0:
            slot.calls[ctx] = calls
        else:
            slot.calls.pop(ctx, None)
        if ctx not in slot.contexts:
            # Retired (it closes itself once idle): build for whoever waits.
            self._grow(key, slot)
            return
        if ctx.usable:
            while slot.waiters and self._takes(slot, ctx):
                if not self._hand_over(slot, ctx):
                    break
            return
        slot.contexts.remove(ctx)
        self._size -= 1
        self._grow(key, slot)
        if not slot.contexts and not slot.building and not slot.waiters:
            del self._slots[key]

    def _trim(self) -> None:
        """Retire contexts of the least recently used scripts past pool_size."""
        for key in list(self._slots):
            if self._size <= self.pool_size:
                return
            slot = self._slots[key]
            while slot.contexts and self._size > self.pool_size:
                # Idle ones first; a busy one closes when its call is done.
                idle = [c for c in slot.contexts if c not in slot.calls]
                victim = idle[0] if idle else slot.contexts[0]
                slot.contexts.remove(victim)
                slot.calls.pop(victim, None)
                self._size -= 1
                victim.retire()
                self.stats["evictions"] += 1
            if not slot.contexts and not slot.building and not slot.waiters:
                del self._slots[key]

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
        for key in list(self._slots):
            self._drop(key[0])

    def _drop(self, script: Hashable, keep: Key | None = None) -> int:
        dropped = 0
        for key in [k for k in self._slots if k[0] == script and k != keep]:
            slot = self._slots[key]
            for ctx in slot.contexts:
                ctx.retire()
            dropped += len(slot.contexts)
            self._size -= len(slot.contexts)
            slot.contexts.clear()
            slot.calls.clear()
            if not slot.building and not slot.waiters:
                del self._slots[key]
            elif slot.waiters and slot.load is not None:
                self._grow(key, slot)
        return dropped

    async def settle(self) -> None:
        """Wait for the context builds under way (before closing the loop)."""
        while self._builds:
            await asyncio.wait(set(self._builds))

    def contexts(self, key: Key) -> list[ScriptContext]:
        """The pooled contexts of one script version (for tests and metrics)."""
        slot = self._slots.get(key)
        return list(slot.contexts) if slot else []

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: Key) -> bool:
        slot = self._slots.get(key)
        return bool(slot and slot.contexts)


def _retrieved(build: asyncio.Task) -> None:
    if not build.cancelled():
        build.exception()  # handed to the waiters already


def _cancelled() -> Exception:
    return RuntimeError("Building the script's context was cancelled")


class _LoadFailed(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__(str(outcome.error))
        self.outcome = outcome
