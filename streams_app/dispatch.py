"""Deliver dispatcher messages to the listeners of the sender's tenant.

`dispatcher.sendMessage(type, json)` and IOTA's `events.publish(type, data)`
arrive here as the host call `dispatch.send`. Every listener of that message
type in the sender's tenant runs, one after the other in registration order,
before the call returns the seed's statistics (R6: synchronously):

- a listener of the sender's own script version runs in the sender's context,
  re-entrantly, as the reference implementation does: the host answers
  `{"local": handler, "token", "context"}`, the script runs it, and asks for
  the rest with `dispatch.next(token, succeeded)`. It is part of the sender's
  invocation (its writes and logs are the sender's);
- every other listener runs in its own script's warm context
  (scripts_app.invocations.run), with its own limits, effects and
  execution record.

A listener may send messages itself: one sent by an invocation at depth d is
delivered at depth d + 1, and a send that would go deeper than
SCRIPT_DISPATCH_MAX_DEPTH is refused (a cycle of listeners ends there). A
local listener's sends count the local listeners it runs inside (`nesting`).

Depth does not bound width (a listener that sends its own message k times
makes k^depth runs): every listener run, local or not, counts against the
budget of the request that started the chain (scripts_app.budget). Once it
is spent, or the request is out of time, the listeners left are not run:
they count as failed in the statistics, which say why, and the sender's log
says so once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from core.conf import scripts_setting
from engine import HostError
from scripts_app.admission import refused
from scripts_app.budget import over_budget
from scripts_app.records import log_for
from scripts_app.routing import RouteTarget
from tenants.resolve import CachedSnapshot

log = logging.getLogger(__name__)

KIND = "listener"
# invocation.notes key: token -> _Delivery of a send whose local listeners run.
DELIVERIES = "dispatch.deliveries"
# invocation.notes key: set once the sender's log said its budget is spent.
BUDGET_LOGGED = "dispatch.budget_logged"
_tokens = itertools.count(1)


@dataclass
class _Delivery:
    """A send under way: its listeners, how far it got, how many succeeded."""

    message_type: str
    targets: list
    context: dict
    depth: int
    index: int = 0
    succeeded: int = 0
    # Listeners left unrun because the request's budget was spent, and why.
    not_run: int = 0
    why_not_run: str = ""


class ListenerDirectory(CachedSnapshot):
    """tenant id -> message type -> listeners, reloaded when 'listeners' moves.

    A save or delete of a script that has or had listeners bumps that counter
    (scripts_app.signals), so an upload, a delete or an enable/disable reaches
    every process as routes do.
    Only enabled scripts' listeners are kept, each pointing at the script's
    current version.
    """

    counter = "listeners"

    def __init__(self):
        super().__init__()
        self.tables: dict[int, dict[str, list[RouteTarget]]] = {}

    def load(self):
        from streams_app.models import Listener

        tables: dict[int, dict[str, list[RouteTarget]]] = {}
        rows = (
            Listener.objects.filter(script__enabled=True)
            .order_by("id")  # registration order: upload by upload, call by call
            .values_list(
                "tenant_id",
                "message_type",
                "handler",
                "script_id",
                "script__name",
                "script__version",
                "script__capabilities",
            )
        )
        for tenant_id, message_type, handler, script_id, name, version, caps in rows:
            table = tables.setdefault(tenant_id, {})
            table.setdefault(message_type, []).append(
                RouteTarget(
                    script_id,
                    name,
                    version,
                    handler,
                    message_type,
                    capabilities=tuple(caps or ()),
                )
            )
        self.tables = tables

    def listeners_of(self, tenant_id: int, message_type: str) -> list[RouteTarget]:
        return self.tables.get(tenant_id, {}).get(message_type, [])


_listeners = ListenerDirectory()


def listeners() -> ListenerDirectory:
    return _listeners


# Deliveries still running after their sender went away (it ran out of time):
# kept here so they are not garbage-collected half-way.
_orphans: set[asyncio.Task] = set()


async def send(invocation, message_type, data_json, nesting=0):
    """Start delivering `message_type`; see advance() for what it answers."""
    if not isinstance(message_type, str) or not message_type:
        raise HostError("message type must be a non-empty string", "TypeError")
    if not isinstance(data_json, str):
        raise HostError("message data must be a JSON string", "TypeError")
    if not isinstance(nesting, int) or isinstance(nesting, bool) or nesting < 0:
        raise HostError("nesting must be a count", "TypeError")
    size = len(data_json.encode("utf-8"))
    limit = scripts_setting("DISPATCH_MAX_MESSAGE_BYTES")
    if size > limit:
        refuse(
            invocation,
            f"Message '{message_type}' was not delivered: its data is {size} bytes "
            f"of JSON, over the limit of {limit} bytes "
            "(SCRIPT_DISPATCH_MAX_MESSAGE_BYTES). Send less, or an id the "
            "listeners can look the data up by.",
            "RangeError",
        )
    try:
        data = json.loads(data_json)
    except ValueError as exc:
        raise HostError(f"message data is not valid JSON: {exc}", "TypeError") from None

    max_depth = scripts_setting("DISPATCH_MAX_DEPTH")
    depth = invocation.depth + nesting + 1
    if depth > max_depth:
        refuse(
            invocation,
            f"Message '{message_type}' was not delivered: it would start a chain "
            f"of messages {depth} deep, over the limit of {max_depth} "
            "(SCRIPT_DISPATCH_MAX_DEPTH). A listener probably sends the message "
            "it listens to, directly or through other scripts' listeners.",
        )

    directory = listeners()
    if directory.stale():
        await directory.refresh()
    targets = list(directory.listeners_of(invocation.tenant.id, message_type))
    if not targets:
        return {"result": f"No listeners for message type '{message_type}'"}
    context = {
        "messageType": message_type,
        "messageData": data,
        # IOTA event handlers: handle(event) reads event.type and event.data.
        "type": message_type,
        "data": data,
        "meta": {"sender": invocation.script_name, "depth": depth},
    }
    token = next(_tokens)
    deliveries = invocation.notes.setdefault(DELIVERIES, {})
    deliveries[token] = _Delivery(message_type, targets, context, depth)
    return await advance(invocation, token)


async def next_listener(invocation, token, succeeded):
    """A local listener of send `token` ran; go on with the others."""
    delivery = invocation.notes.get(DELIVERIES, {}).get(token)
    if delivery is None:
        raise HostError("no message is being delivered under that token")
    if succeeded is True:
        delivery.succeeded += 1
    return await advance(invocation, token)


async def advance(invocation, token) -> dict:
    """Run listeners of send `token` in turn until one is the sender's own.

    Answers `{"local": handler, "token", "context"}` for the script to run
    that one itself, or `{"result": statistics}` once every listener ran.
    """
    from scripts_app.invocations import context_for

    delivery = invocation.notes[DELIVERIES][token]
    budget = invocation.budget
    while delivery.index < len(delivery.targets):
        why = budget.spent() if budget is not None else None
        if why is not None:
            stop(invocation, delivery, why)
            break
        target = delivery.targets[delivery.index]
        delivery.index += 1
        if (target.script_id, target.version) == (
            invocation.script_id,
            invocation.version,
        ):
            if budget is not None:
                budget.take_run()  # room checked above
            return {
                "local": target.handler,
                "token": token,
                "context": context_for(
                    KIND,
                    invocation.tenant,
                    target,
                    delivery.context,
                    invocation.execution_id,
                    triggered_by="event",
                ),
            }
        # Another script's listener is about to run: running the sender again
        # (after a storage conflict) would deliver the message twice.
        invocation.irreversible = True
        delivery.succeeded += await deliver_one(
            invocation,
            target,
            delivery.message_type,
            delivery.context,
            delivery.depth,
        )
    del invocation.notes[DELIVERIES][token]
    return {
        "result": statistics(
            delivery.message_type,
            len(delivery.targets),
            delivery.succeeded,
            delivery.not_run,
            delivery.why_not_run,
        )
    }


def stop(invocation, delivery: _Delivery, why: str) -> None:
    """Leave the listeners of `delivery` not run yet unrun: the budget is spent."""
    delivery.not_run = len(delivery.targets) - delivery.index
    delivery.why_not_run = why
    delivery.index = len(delivery.targets)
    if not invocation.notes.get(BUDGET_LOGGED):
        # Once per invocation: a listener sending in a loop would otherwise
        # log this once per send.
        invocation.notes[BUDGET_LOGGED] = True
        log_for(
            invocation,
            "ERROR",
            f"Message '{delivery.message_type}' was not delivered to "
            f"{delivery.not_run} of its listeners (nor will later messages of "
            f"this run be): {why}. A listener probably sends messages in a loop, "
            "or sends the message it listens to.",
        )


async def deliver_one(sender, target, message_type, context, depth) -> int:
    """Run one listener of `sender`'s message in its own context; 1 if it succeeded.

    Shielded: a sender stopped for time does not stop a listener half-way.
    The listener still ends when the request that led here does (its budget
    cancels what it caused).
    """
    delivery = asyncio.ensure_future(
        deliver(
            sender.tenant,
            [target],
            message_type,
            context,
            depth,
            sender,
            budget=sender.budget,
        )
    )
    try:
        return await asyncio.shield(delivery)
    except asyncio.CancelledError:
        _orphans.add(delivery)
        delivery.add_done_callback(_orphans.discard)
        raise


async def deliver(
    tenant, targets, message_type, context, depth, sender=None, budget=None
) -> int:
    """Run each listener in turn; return how many succeeded.

    A listener the tenant's cap of running invocations, or the budget of the
    request that led here, turns away counts as failed, and the sender's log
    says why.
    """
    from scripts_app.invocations import run

    succeeded = 0
    for target in targets:
        try:
            outcome = await run(
                KIND,
                tenant,
                target,
                context,
                trigger=f"message {message_type}",
                depth=depth,
                triggered_by="event",
                budget=budget,
            )
        except ObjectDoesNotExist:
            # Deleted since this process last read the listeners.
            listeners().invalidate()
            continue
        except Exception:
            log.exception(
                "Delivering message %r to %s.%s failed",
                message_type,
                target.script_name,
                target.handler,
            )
            continue
        if outcome.error is None:
            succeeded += 1
        elif sender is not None and (refused(outcome) or over_budget(outcome)):
            log_for(
                sender,
                "ERROR",
                f"Listener {target.script_name}.{target.handler} of message "
                f"'{message_type}' was not run: {outcome.error.message}",
            )
    return succeeded


def statistics(
    message_type: str,
    delivered: int,
    succeeded: int,
    not_run: int = 0,
    why_not_run: str = "",
) -> str:
    """The seed's statistics string; listeners left unrun count as failed."""
    noun = "listener" if delivered == 1 else "listeners"
    text = (
        f"Message '{message_type}' delivered to {delivered} {noun}: "
        f"{succeeded} succeeded, {delivered - succeeded} failed"
    )
    if not_run:
        text += f"; {not_run} not run: {why_not_run}"
    return text


def refuse(invocation, message: str, name: str = "Error"):
    """Log why a message is not delivered, for the sender; reject the script's call.

    Logged as well as raised: a script that does not await its send (the
    seed's examples never do) would otherwise never learn of it.
    """
    log_for(invocation, "ERROR", message)
    raise HostError(message, name)
