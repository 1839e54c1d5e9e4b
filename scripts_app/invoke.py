"""Run one handler of a script outside an HTTP route: listeners, stream customizers.

The same steps as a route (serving.run_route): the script's cached version is
loaded into its warm context, the handler runs with the R10 context, effects
are applied after success (R5), and an Execution row with its logs is queued.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from core.conf import limits_for
from engine import Outcome
from engine.context import Limits
from scripts_app.engines import engine
from scripts_app.executions import queue_execution
from scripts_app.hosting import Invocation, invoke_with_effects
from scripts_app.routing import RouteTarget
from scripts_app.sources import load_source


async def run_handler(
    tenant,
    target: RouteTarget,
    *,
    kind: str,
    trigger: str,
    context: dict,
    user_id: int | None = None,
    depth: int = 0,
    triggered_by: str | None = None,
) -> Outcome:
    """Run target.handler with `context` (its R10 fields filled in here).

    `context` holds what this kind adds (request, messageType, ...); tenant,
    script, execution and kind are set here. Returns the engine's Outcome,
    after the effects were applied (or refused: then outcome.error says why).
    """
    execution_id = uuid.uuid4()
    started_at = datetime.now(tz=UTC)
    full = {
        "request": None,
        "args": {},
        "meta": {},
        "user": None,
        **context,
        "kind": kind,
        "tenant": {"id": tenant.slug, "name": tenant.name},
        "script": {
            "id": target.script_name,
            "name": target.script_name,
            "type": kind,
            "capabilities": list(target.capabilities),
        },
        "execution": {"id": str(execution_id), "triggeredBy": triggered_by or kind},
    }
    invocation = Invocation(
        tenant=tenant,
        script_id=target.script_id,
        script_name=target.script_name,
        kind=kind,
        user_id=user_id,
        execution_id=execution_id,
        depth=depth,
    )
    outcome = await invoke_with_effects(
        engine(),
        (target.script_id, target.version),
        target.handler,
        full,
        Limits.of(*limits_for(kind)),
        lambda: load_source(tenant, target),
        invocation,
    )
    queue_execution(tenant.id, target, kind, trigger, outcome, execution_id, started_at)
    return outcome
