"""What apps give scripts: JS API modules, host calls, and effects applied after success.

An app takes part by defining, on its AppConfig:

- `script_api_js`: a path (relative to the app) of a JS module
  `function (g, api) {...}` that defines globals with `api.call(op, args)` for
  reads (Promises, R6) and `api.effect(kind, data)` for writes (R5);
- `script_ops(invocation) -> {op name: async function}`: the host side of its
  calls, bound to the invocation's tenant, script and user;
- `script_effect_prefix` and `apply_script_effects(invocation, effects)`: apply
  its effects (kinds starting with the prefix), inside the one transaction all
  effects of an invocation share. Raise EffectConflict when what the
  invocation read has changed since; the invocation is then run again.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from asgiref.sync import sync_to_async
from django.apps import apps
from django.db import transaction

from engine import EngineError, Host, Limits, Outcome

# Runs of one invocation before it is failed for conflicting writes.
MAX_ATTEMPTS = 20
# Re-runs wait a random time up to this (doubling per attempt, capped), so
# processes racing for the same keys stop colliding in lockstep.
BACKOFF_SECONDS = (0.005, 0.4)


class EffectConflict(Exception):
    """What the invocation read changed before its writes could be applied."""


class EffectRejected(EngineError):
    """An effect could not be applied (a quota, a validation); nothing was."""

    code = "effect_rejected"


@dataclass
class Invocation:
    """One run of one handler: whose data it may touch, and what it did."""

    tenant: object  # tenants.models.Tenant
    script_id: int
    script_name: str
    kind: str
    user_id: int | None = None  # never given to the script (R10)
    execution_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # Set by ops that cannot be undone (fetch): such a run is never repeated.
    irreversible: bool = False
    # Free for apps: e.g. versions of storage keys read, for conflict checks.
    notes: dict = field(default_factory=dict)

    def fresh_attempt(self) -> None:
        self.irreversible = False
        self.notes = {}


def _participants():
    return [
        a
        for a in apps.get_app_configs()
        if hasattr(a, "script_ops")
        or hasattr(a, "script_api_js")
        or hasattr(a, "apply_script_effects")
    ]


def api_modules() -> tuple[str, ...]:
    """The JS API modules of every participating app, in INSTALLED_APPS order."""
    modules = []
    for app in _participants():
        relative = getattr(app, "script_api_js", None)
        if relative:
            modules.append((Path(app.path) / relative).read_text())
    return tuple(modules)


def build_host(invocation: Invocation) -> Host:
    host = Host()
    for app in _participants():
        if hasattr(app, "script_ops"):
            for name, op in app.script_ops(invocation).items():
                host.register(name, op)
    return host


def apply_effects(invocation: Invocation, effects: list[dict]) -> None:
    """Apply every effect of a successful invocation in one transaction (R5)."""
    handlers = [
        (app.script_effect_prefix, app)
        for app in _participants()
        if hasattr(app, "apply_script_effects")
    ]
    with transaction.atomic():
        for prefix, app in handlers:
            mine = [e for e in effects if str(e.get("kind", "")).startswith(prefix)]
            app.apply_script_effects(invocation, mine)


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

    A failed, cancelled or timed-out run applies nothing, but keeps its logs.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        invocation.fresh_attempt()
        outcome = await engine.invoke(
            key, handler, context, limits, load, build_host(invocation)
        )
        if outcome.error is not None or not outcome.effects:
            break
        try:
            await sync_to_async(apply_effects)(invocation, outcome.effects)
            break
        except EffectConflict:
            if invocation.irreversible or attempt == MAX_ATTEMPTS:
                outcome.error = EffectRejected(
                    "Storage changed while the script ran and it could not be "
                    "run again safely; nothing was written"
                )
                break
            first, cap = BACKOFF_SECONDS
            await asyncio.sleep(random.uniform(0, min(cap, first * 2**attempt)))
            continue  # only the run whose writes landed keeps its logs
        except EffectRejected as exc:
            outcome.error = exc
            break
    return outcome
