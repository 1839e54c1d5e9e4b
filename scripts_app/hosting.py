"""Run an invocation in the engine with the apps' host calls; apply its effects (R5).

The apps take part through the plugin contract (core.plugins.ScriptPlugin):
their host calls are built into the invocation's Host on its first host
call, and their effects are applied after success, all in one transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
import uuid
import weakref
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.db import transaction

from core import ids
from core.conf import derived, scripts_setting
from core.plugins import overriding, plugins
from engine import EngineError, Host, Limits, Outcome
from scripts_app import contention
from scripts_app.admission import gated
from scripts_app.budget import Budget
from scripts_app.records import log_for

log = logging.getLogger(__name__)

# Optimistic re-runs wait a random time up to this (doubling per attempt,
# capped), so processes racing for the same keys stop colliding in lockstep.
BACKOFF_SECONDS = (0.005, 0.4)
# A run holding the locks that still conflicted runs again after up to this
# (it holds up the key's queue meanwhile; it only has to not spin).
LOCKED_PAUSE_SECONDS = 0.002
# What a caller refused for contention is told to wait, in seconds.
RETRY_AFTER_SECONDS = 1


class EffectConflict(Exception):
    """What the invocation read changed before its writes could be applied.

    `keys` names what was contended for (the app's lock names, such as
    "storage:<namespace>:<key>"): once optimistic re-runs are used up, the
    invocation runs again holding a lock on them (scripts_app.contention).
    With none, the lock is on the script's writes as a whole.
    """

    def __init__(self, message: str = "", keys=()):
        super().__init__(message)
        self.keys = tuple(keys)


class EffectRejected(EngineError):
    """An effect could not be applied (a quota, a validation); nothing was."""

    code = "effect_rejected"


class WriteConflict(EngineError):
    """Writes that kept conflicting until the invocation ran out of time; none landed.

    HTTP answers 503 with Retry-After (scripts_app.http.reply_for).
    """

    code = "write_conflict"
    retry_after = RETRY_AFTER_SECONDS


@dataclass
class Invocation:
    """One run of one handler: whose data it may touch, and what it did."""

    tenant: object  # tenants.models.Tenant
    script_id: int
    script_name: str
    kind: str
    version: int | None = None  # of the script version that runs
    user_id: int | None = None  # never given to the script (R10)
    execution_id: uuid.UUID = field(default_factory=ids.uuid7)
    # Set by ops that cannot be undone (fetch): such a run is never repeated.
    irreversible: bool = False
    # Free for apps: e.g. versions of storage keys read, for conflict checks.
    notes: dict = field(default_factory=dict)
    # Full names of the contention locks this invocation holds (kept across
    # attempts; see scripts_app.contention).
    holds: frozenset = frozenset()
    # time.monotonic() when the current attempt started (deadlines count from it).
    started: float = field(default_factory=time.monotonic)
    # How many dispatcher messages led here: 0 for a request, 1 for a listener
    # of a message a request sent, ... (cycles are cut at DISPATCH_MAX_DEPTH).
    depth: int = 0
    # Coroutine functions apply_script_effects queued to run once the
    # invocation's transaction has committed (e.g. publishing stream messages).
    after_commit: list = field(default_factory=list)
    # What the root invocation that led here, and all it causes, may still do
    # (scripts_app.budget); shared by them all. None: nothing is counted (an
    # invocation made outside the runner).
    budget: Budget | None = None

    def fresh_attempt(self) -> None:
        self.irreversible = False
        self.notes = {}
        self.after_commit = []
        self.started = time.monotonic()


def _op_providers() -> tuple:
    return overriding("script_ops")


@derived
def _effect_appliers() -> tuple:
    return tuple(p for p in plugins() if p.script_effect_prefix)


@derived
def _effect_prefixes() -> tuple[str, ...]:
    return tuple(p.script_effect_prefix for p in _effect_appliers())


# invocation.notes key: set once a refused host call was logged.
_HOST_CALLS_REFUSED = "budget.host_calls_refused"


class _LazyHost(Host):
    """A Host that asks the apps for their ops only when the first call arrives.

    Building every app's ops costs more than a simple handler's whole Python
    side, and most handlers make no host call at all.
    """

    def __init__(self, invocation: Invocation, providers: tuple):
        super().__init__()
        self._invocation = invocation
        self._providers = providers

    def lookup(self, name: str):
        if self._providers:
            # In app order, as later names win. If building fails, Host.call
            # answers "failed on the server" and the next call tries again.
            for app in self._providers:
                for op_name, op in app.script_ops(self._invocation).items():
                    self.register(op_name, op)
            self._providers = ()
        return super().lookup(name)

    def repeatable(self) -> bool:
        """False once the attempt did something that cannot be undone (fetch)."""
        return not self._invocation.irreversible

    def start(self, name, args):
        """Perform one call, unless the request's budget of host calls is spent."""
        budget = self._invocation.budget
        if budget is not None:
            refusal = budget.take_host_call()
            if refusal is not None:
                return self._refuse(refusal)
        return super().start(name, args)

    def _refuse(self, message: str) -> dict:
        # Logged once per invocation: a script that catches the error (or
        # makes thousands more calls) would otherwise leave no trace of it.
        notes = self._invocation.notes
        if not notes.get(_HOST_CALLS_REFUSED):
            notes[_HOST_CALLS_REFUSED] = True
            log_for(self._invocation, "ERROR", message)
        return {"ok": False, "error": {"name": "RangeError", "message": message}}


def build_host(invocation: Invocation) -> Host:
    """The Host of one attempt of an invocation; its ops are built on demand."""
    return _LazyHost(invocation, _op_providers())


def apply_effects(invocation: Invocation, effects: list[dict]) -> None:
    """Apply every effect of a successful invocation in one transaction (R5).

    Each goes to the app whose effect prefix it has; one that no installed
    app claims refuses them all (the system check makes that a start-up
    error for the apps' own JS modules).
    """
    prefixes = _effect_prefixes()
    for effect in effects:
        kind = str(effect.get("kind", ""))
        if not kind.startswith(prefixes):
            raise EffectRejected(
                f"No installed app applies effects of kind '{kind}'; nothing was "
                "written"
            )
    with transaction.atomic():
        for app in _effect_appliers():
            prefix = app.script_effect_prefix
            mine = [e for e in effects if str(e.get("kind", "")).startswith(prefix)]
            app.apply_script_effects(invocation, mine)


def apply_batch(batch: list[tuple[Invocation, list[dict]]]) -> list:
    """Apply several invocations' effects in one transaction, each in a savepoint.

    Returns, per invocation, None when its effects were applied or the
    EffectConflict / EffectRejected that refused them (only its own writes are
    undone). Any other error fails the whole batch.
    """
    if len(batch) == 1:
        invocation, effects = batch[0]
        try:
            apply_effects(invocation, effects)
        except (EffectConflict, EffectRejected) as exc:
            return [exc]
        return [None]
    results = []
    with transaction.atomic():
        for invocation, effects in batch:
            try:
                apply_effects(invocation, effects)  # nested: a savepoint
            except (EffectConflict, EffectRejected) as exc:
                results.append(exc)
            else:
                results.append(None)
    return results


def _batching() -> bool:
    """Group commits where the database has one writer at a time (SQLite).

    There every write transaction takes the whole database, and a writer that
    finds it taken sleeps in growing steps (1, 2, 5, 10 ms...): one
    transaction for all the invocations that finished meanwhile wastes no
    such waits. PostgreSQL locks rows: a batch would only hold its locks
    longer, and two processes' batches could deadlock.
    """
    from django.db import connection

    return connection.vendor == "sqlite"


_apply_batch_off_loop = sync_to_async(apply_batch)


class _Committer:
    """Apply invocations' effects one transaction at a time, per event loop.

    While a transaction runs, the invocations that finish queue up; the next
    transaction takes them all (group commit).
    """

    def __init__(self):
        self._queue: list = []
        self._draining = False

    async def apply(self, invocation: Invocation, effects: list[dict]) -> None:
        future = asyncio.get_running_loop().create_future()
        # Read the outcome even if the caller went away (no "never retrieved").
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((invocation, effects, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(future)  # a cancelled caller's batch still commits

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    results = await _apply_batch_off_loop([(i, e) for i, e, _ in batch])
                except Exception as exc:  # noqa: BLE001 - handed to every caller
                    results = [exc] * len(batch)
                except BaseException:
                    for _i, _e, future in batch:
                        future.cancel()
                    raise
                for (_i, _e, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if result is None:
                        future.set_result(None)
                    else:
                        future.set_exception(result)
        finally:
            self._draining = False


_committers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _apply_effects_off_loop(invocation: Invocation, effects: list[dict]) -> None:
    if not _batching():
        await _apply_batch_off_loop_single(invocation, effects)
        return
    loop = asyncio.get_running_loop()
    committer = _committers.get(loop)
    if committer is None:
        committer = _committers[loop] = _Committer()
    await committer.apply(invocation, effects)


# Made once: a SyncToAsync wrapper costs more to build than to call.
_apply_batch_off_loop_single = sync_to_async(
    lambda invocation, effects: apply_effects(invocation, effects)
)


async def _run_after_commit(invocation: Invocation) -> None:
    """Run what the applied effects queued for after the commit; log failures.

    The writes are in: a failure here (say the channel layer is down) must not
    turn the invocation into an error, so it is logged and the rest still run.
    """
    actions, invocation.after_commit = invocation.after_commit, []
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception(
                "An action after the effects of %s (%s) failed",
                invocation.script_name,
                invocation.execution_id,
            )


@gated  # the tenant's cap of running invocations (R9): a slot, or refused at once
async def invoke_with_effects(
    engine,
    key,
    handler: str,
    context: dict,
    limits: Limits,
    load,
    invocation: Invocation,
) -> Outcome:
    """Invoke, then apply its effects; run again if they conflict (R5).

    The first SCRIPT_STORAGE_OPTIMISTIC_ATTEMPTS runs are optimistic; after
    that each re-run holds a lock on what the conflicts named, so a hot key's
    writers take turns (scripts_app.contention). Re-runs and waits for a lock
    count against the invocation's time limit: past it, or with no lock
    within SCRIPT_STORAGE_LOCK_WAIT_SECONDS, it fails with WriteConflict. A
    run that did something irreversible is never repeated.

    A failed, cancelled or timed-out run applies nothing, but keeps its logs.
    """
    deadline = time.monotonic() + limits.seconds
    optimistic = max(1, int(scripts_setting("STORAGE_OPTIMISTIC_ATTEMPTS")))
    # Locks of the invocation that started this one (it waits for this one).
    inherited = contention.holding()
    invocation.holds = inherited
    contended: set[str] = set()
    held = hold = None
    try:
        for attempt in itertools.count(1):
            invocation.fresh_attempt()
            outcome = await engine.invoke(
                key, handler, context, limits, load, build_host(invocation)
            )
            if outcome.error is not None or not outcome.effects:
                break
            try:
                await _apply_effects_off_loop(invocation, outcome.effects)
                await _run_after_commit(invocation)
                break
            except EffectConflict as exc:
                if invocation.irreversible:
                    outcome.error = EffectRejected(
                        "Storage changed while the script ran, and it could not be "
                        "run again safely: it had done something that cannot be "
                        "undone (fetch, a message to another script's listener, a "
                        "GraphQL resolver); nothing was written"
                    )
                    break
                contended.update(
                    contention.lock_name(invocation.tenant.id, k)
                    for k in exc.keys or (f"script:{invocation.script_name}",)
                )
                if time.monotonic() >= deadline:
                    outcome.error = _unresolved(limits)
                    break
                # Only the run whose writes land keeps its logs.
                if attempt < optimistic:
                    first, cap = BACKOFF_SECONDS
                    pause = random.uniform(0, min(cap, first * 2**attempt))
                    await asyncio.sleep(min(pause, deadline - time.monotonic()))
                    continue
                needed = contended - inherited
                if needed and (held is None or not needed <= held.names):
                    if held is not None:
                        contention.release_hold(hold)
                        invocation.holds = inherited
                        released, held = held, None
                        await contention.locks().release(released)
                    held = await _lock(needed, deadline, limits)
                    if held is None:
                        outcome.error = _unresolved(limits)
                        break
                    invocation.holds = inherited | held.names
                    hold = contention.hold(invocation.holds)
                    # Holding them now, it runs again at once.
                    continue
                # It held them and still lost, to a run that started before it
                # took them: again after a pause too short to matter.
                await asyncio.sleep(random.uniform(0, LOCKED_PAUSE_SECONDS))
                continue
            except EffectRejected as exc:
                outcome.error = exc
                break
    finally:
        if held is not None:
            contention.release_hold(hold)
            invocation.holds = inherited
            await contention.locks().release(held)
    return outcome


async def _lock(names: set[str], deadline: float, limits: Limits):
    """Take the locks on `names` before the deadline, waiting at most the setting."""
    wait = min(
        deadline - time.monotonic(),
        float(scripts_setting("STORAGE_LOCK_WAIT_SECONDS")),
    )
    if wait <= 0:
        return None
    return await contention.locks().acquire(names, wait, limits.seconds)


def _unresolved(limits: Limits) -> WriteConflict:
    wait = scripts_setting("STORAGE_LOCK_WAIT_SECONDS")
    return WriteConflict(
        "Storage conflict that could not be resolved: other calls kept changing "
        "what this script read and wrote, and it did not get its turn within its "
        f"time limit ({limits.seconds:g} s) or the wait for its turn ({wait:g} s, "
        "SCRIPT_STORAGE_LOCK_WAIT_SECONDS); nothing was written. Try again in "
        f"{RETRY_AFTER_SECONDS} s."
    )
