"""The invocation runner: every kind of invocation goes through `run` (R14).

HTTP routes, listeners, resolvers, stream customizers (and the scheduled,
manual and trigger runs to come) differ only in what they add to the context
and in what they make of the outcome. Everything else happens here, the same
way for all: the R10 context, the Invocation (whose data it may touch), the
limits of its kind (R8), the script's cached source, the engine call with its
effects (scripts_app.hosting.invoke_with_effects, R5), and the Execution row
with its logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from core import ids
from core.conf import derived, limits_for
from engine import Limits, Outcome
from scripts_app.budget import Budget, BudgetSpent
from scripts_app.engines import engine
from scripts_app.executions import queue_execution
from scripts_app.hosting import Invocation, invoke_with_effects
from scripts_app.routing import RouteTarget
from scripts_app.sources import load_source

# What started an invocation, in IOTA's words (context.execution.triggeredBy):
# an HTTP request to a script route or stream, a call of the platform's API
# (GraphQL, REST), an operator's run, a schedule, an event (a message).
TRIGGERED_BY = frozenset({"http", "api", "manual", "cron", "event"})


@derived
def limits(kind: str) -> Limits:
    """The time and memory limits of an execution kind."""
    return Limits.of(*limits_for(kind))


async def run(
    kind: str,
    tenant,
    target: RouteTarget,
    context: dict,
    *,
    trigger: str,
    user_id: int | None = None,
    depth: int = 0,
    triggered_by: str | None = None,
    answer: Callable[[Outcome], object] | None = None,
    budget: Budget | None = None,
    ref: str = "",
    keep_result: bool = False,
    execution_id=None,
    script_type: str | None = None,
):
    """Run target.handler as an invocation of `kind`; return its Outcome.

    `context` holds what this kind adds to the R10 context (request, meta,
    user, args, messageType...); kind, tenant, script and execution are set
    here. `trigger` says what started it ("GET /hello", "message chat"), for
    the execution record; `triggered_by` is context.execution.triggeredBy, one
    of TRIGGERED_BY, and may be left out when the kind has that name ("http",
    "cron", "manual"). The Outcome comes back after the effects were
    applied, or refused (then outcome.error says why).

    `answer(outcome)`, when given, turns the outcome into the caller's answer
    (an HTTP reply) before the execution is recorded; the record keeps the
    answer's `status` and `failure`, and run returns the answer instead.

    `budget` is the Budget of the root invocation that caused this one (the
    sender of the message a listener gets...); None makes this one a root,
    with a budget of its own that ends when it does (scripts_app.budget). A
    caused invocation its budget has no room for does not run: its Outcome's
    error is BudgetSpent, and it gets no execution record (nothing ran).

    `ref` ("job:17") names the object that started the run in its record;
    `keep_result` keeps the handler's return value there (manual and
    scheduled runs; an HTTP reply is not kept). `execution_id`, when given,
    is the id the record gets (an app that must know it before the run
    ends: a scheduled job notes its running execution); else a new one.
    `script_type` is context.script.type when it is not the kind (IOTA's
    "cron" for a cron job's run).
    """
    own_limits = run_limits = limits(kind)
    root = budget is None
    if root:
        budget = Budget.for_root(run_limits.seconds)
    else:
        spent = budget.take_run()
        if spent is not None:
            outcome = Outcome(error=spent)
            return outcome if answer is None else answer(outcome)
        run_limits = budget.limits(own_limits)  # ends by the root's deadline
    execution_id = execution_id or ids.uuid7()
    started_at = datetime.now(tz=UTC)
    full = context_for(
        kind, tenant, target, context, execution_id, triggered_by, script_type
    )
    invocation = Invocation(
        tenant=tenant,
        script_id=target.script_id,
        script_name=target.script_name,
        kind=kind,
        version=target.version,
        user_id=user_id,
        execution_id=execution_id,
        depth=depth,
        budget=budget,
    )
    running = None if root else asyncio.current_task()
    budget.track(running)
    try:
        outcome = await invoke_with_effects(
            engine(),
            (target.script_id, target.version),
            target.handler,
            full,
            run_limits,
            lambda: load_source(tenant, target),
            invocation,
        )
    except asyncio.CancelledError:
        if not root and budget.ended:
            # Stopped because the request that caused it ended: say so.
            stopped = Outcome(
                error=BudgetSpent("Stopped: the request that caused this run ended"),
                duration_ms=(datetime.now(tz=UTC) - started_at).total_seconds() * 1000,
            )
            queue_execution(
                tenant.id,
                target,
                kind,
                trigger,
                stopped,
                execution_id,
                started_at,
                triggered_by=triggered_by_of(kind, triggered_by),
                ref=ref,
            )
        raise
    finally:
        if root:
            budget.end()
        else:
            budget.untrack(running)
    if run_limits is not own_limits:
        budget.timed_out(outcome, run_limits)
    answered = answer(outcome) if answer is not None else None
    queue_execution(
        tenant.id,
        target,
        kind,
        trigger,
        outcome,
        execution_id,
        started_at,
        response_status=getattr(answered, "status", None),
        failure=getattr(answered, "failure", ""),
        warning=getattr(answered, "warning", ""),
        triggered_by=triggered_by_of(kind, triggered_by),
        ref=ref,
        keep_result=keep_result,
    )
    return outcome if answer is None else answered


def context_for(
    kind: str,
    tenant,
    target: RouteTarget,
    context: dict,
    execution_id,
    triggered_by: str | None = None,
    script_type: str | None = None,
) -> dict:
    """The R10 context of a `kind` handler: `context`'s fields, then the rest.

    Also what a script's own listener gets when it runs inside its sender
    (streams_app.dispatch), under the sender's execution id.
    """
    full = {
        "request": None,
        "args": {},
        "kind": kind,
        "meta": {},
        "tenant": None,
        "user": None,
        "script": None,
        "execution": None,
    }
    full.update(context)
    full["kind"] = kind
    full["tenant"] = {"id": tenant.slug, "name": tenant.name}
    full["script"] = {
        "id": target.script_name,
        "name": target.script_name,
        "type": script_type or kind,
        "capabilities": list(target.capabilities),
    }
    full["execution"] = {
        "id": str(execution_id),
        "triggeredBy": triggered_by_of(kind, triggered_by),
    }
    return full


def triggered_by_of(kind: str, triggered_by: str | None) -> str:
    """context.execution.triggeredBy: `triggered_by`, else the kind's own name.

    An app running a kind whose name is not one of TRIGGERED_BY ("listener")
    must say which it is; anything else is a programming error.
    """
    value = triggered_by or kind
    if value not in TRIGGERED_BY:
        raise ValueError(
            f"triggered_by must be one of {sorted(TRIGGERED_BY)}, got {value!r} "
            f"(kind {kind!r})"
        )
    return value
