"""Deliver dispatcher messages to the listeners of the sender's tenant.

`dispatcher.sendMessage(type, json)` and IOTA's `events.publish(type, data)`
arrive here as the host call `dispatch.send`. Every listener of that message
type in the sender's tenant runs, one after the other in registration order,
each in its own script's warm context (scripts_app.invoke.run_handler), with
its own limits, effects and execution record. The call settles with the
seed's statistics once every listener has settled.

A listener may send messages itself: one sent by an invocation at depth d is
delivered at depth d + 1, and a send that would go deeper than
SCRIPT_DISPATCH_MAX_DEPTH is refused (a cycle of listeners ends there).
"""

from __future__ import annotations

import asyncio
import json
import logging

from django.core.exceptions import ObjectDoesNotExist

from engine import HostError
from scripts_app.admission import refused
from scripts_app.conf import scripts_setting
from scripts_app.records import log_for
from scripts_app.routing import RouteTarget
from tenants.resolve import CachedSnapshot

log = logging.getLogger(__name__)

KIND = "listener"


class ListenerDirectory(CachedSnapshot):
    """tenant id -> message type -> listeners, reloaded when 'routes' moves.

    Every Script save or delete bumps that counter (scripts_app.signals), so an
    upload, a delete or an enable/disable reaches every process as routes do.
    Only enabled scripts' listeners are kept, each pointing at the script's
    current version.
    """

    counter = "routes"

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


async def send(invocation, message_type, data_json):
    """Run every listener of `message_type`; return the statistics string."""
    if not isinstance(message_type, str) or not message_type:
        raise HostError("message type must be a non-empty string", "TypeError")
    if not isinstance(data_json, str):
        raise HostError("message data must be a JSON string", "TypeError")
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
    depth = invocation.depth + 1
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
        return f"No listeners for message type '{message_type}'"

    # Listeners are about to run: running the sender again (after a storage
    # conflict, or on a fresh context) would deliver the message twice.
    invocation.irreversible = True
    context = {
        "messageType": message_type,
        "messageData": data,
        # IOTA event handlers: handle(event) reads event.type and event.data.
        "type": message_type,
        "data": data,
        "meta": {"sender": invocation.script_name, "depth": depth},
    }
    delivery = asyncio.ensure_future(
        deliver(invocation.tenant, targets, message_type, context, depth, invocation)
    )
    try:
        # Shielded: a sender stopped for time does not stop listeners half-way.
        succeeded = await asyncio.shield(delivery)
    except asyncio.CancelledError:
        _orphans.add(delivery)
        delivery.add_done_callback(_orphans.discard)
        raise
    return statistics(message_type, len(targets), succeeded)


async def deliver(tenant, targets, message_type, context, depth, sender=None) -> int:
    """Run each listener in turn; return how many succeeded.

    A listener the tenant's cap of running invocations turns away counts as
    failed, and the sender's log says why.
    """
    from scripts_app.invoke import run_handler

    succeeded = 0
    for target in targets:
        try:
            outcome = await run_handler(
                tenant,
                target,
                kind=KIND,
                trigger=f"message {message_type}",
                context=context,
                depth=depth,
                triggered_by="message",
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
        elif sender is not None and refused(outcome):
            log_for(
                sender,
                "ERROR",
                f"Listener {target.script_name}.{target.handler} of message "
                f"'{message_type}' was not run: {outcome.error.message}",
            )
    return succeeded


def statistics(message_type: str, delivered: int, succeeded: int) -> str:
    noun = "listener" if delivered == 1 else "listeners"
    return (
        f"Message '{message_type}' delivered to {delivered} {noun}: "
        f"{succeeded} succeeded, {delivered - succeeded} failed"
    )


def refuse(invocation, message: str, name: str = "Error"):
    """Log why a message is not delivered, for the sender; reject the script's call.

    Logged as well as raised: a script that does not await its send (the
    seed's examples never do) would otherwise never learn of it.
    """
    log_for(invocation, "ERROR", message)
    raise HostError(message, name)
