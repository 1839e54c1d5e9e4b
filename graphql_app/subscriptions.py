"""GraphQL subscriptions: subscribe, fan messages out, deliver (/graphql/ws, /sse).

A subscription is one root field of the tenant's `Subscription` type, served by
a script's `external` operation. Subscribing (graphql_app.ws and
graphql_app.sse share `start`) parses and validates the document against the
tenant's /graphql schema, then runs the subscription's resolver once
(graphql_app.resolvers, root value `Subscribing`). The resolver may return

- `{data: <first message>, metadata: {room: "a"}}`: an object whose keys are
  only `data` and `metadata` (either may be missing or null); or
- any other value: the first message (null or undefined: none).

The metadata is what filtered sends are matched against (values become strings,
as JavaScript's String() makes them); without it the field's arguments are the
metadata, so `userActivity(room: "a")` gets the messages filtered with
{room: "a"}. A resolver that throws, or a caller who may not use the field,
fails the subscription with GraphQL errors before anything is delivered.

`graphQLRegistry.sendSubscriptionMessage(name, dataJson)` and
`sendSubscriptionMessageFiltered(name, dataJson, filterJson)` are effects
(R5): applied only when the invocation succeeds, they are published after the
commit to a channel-layer group per (tenant, subscription name). Every
process with subscribers on it has a hub there (core.hub's Hub, keyed by
"graphql:<name>"), which queues each message for the matching local
subscribers; each then executes its own document with the message as the
field's value (root value `SubscriptionEvent`), so every subscriber gets the
fields it selected. With Redis as the channel layer that spans processes.

A subscriber is ended (`complete`) when its subscription's script changes
version, is disabled or deleted, or stops being `external`; when it cannot
keep up (SCRIPT_STREAM_CLIENT_BUFFER messages behind); and when the server
stops. A process holds at most SCRIPT_STREAM_MAX_CONNECTIONS subscribers
(counted apart from its stream connections).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from inspect import isawaitable

from graphql import (
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.execute import ExecutionContext

from core.conf import scripts_setting
from core.hub import TIMEOUT, Hub, HubFull, Hubs, js_string, publish
from graphql_app import limits
from scripts_app.hosting import EffectRejected

log = logging.getLogger(__name__)

EFFECT = "graphql.subscription"
KEY_PREFIX = "graphql:"  # a hub key: never a stream path, which starts with "/"
KEEPALIVE = object()  # Subscription.next_result timed out waiting


def key_of(name: str) -> str:
    return KEY_PREFIX + name


# -- the resolver's side --------------------------------------------------------------


class Subscribing:
    """The root value while subscribing: the resolver leaves its outcome here."""

    def __init__(self):
        self.ran = False  # the resolver ran and succeeded
        self.has_first = False
        self.metadata: dict = {}

    def accept(self, value, args: dict):
        """Take the resolver's value; return the first message (or None)."""
        first, metadata = value, None
        envelope = value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                envelope = json.loads(value)
        if (
            isinstance(envelope, dict)
            and "metadata" in envelope
            and set(envelope) <= {"data", "metadata"}
            and isinstance(envelope["metadata"], dict | type(None))
        ):
            first, metadata = envelope.get("data"), envelope["metadata"]
        if metadata is None:
            metadata = {k: v for k, v in args.items() if v is not None}
        self.metadata = {str(k): js_string(v) for k, v in metadata.items()}
        self.ran = True
        self.has_first = first is not None
        return first


class SubscriptionEvent:
    """The root value of one delivered message: the field's value is `data`."""

    def __init__(self, data):
        self.data = data


# -- effects (R5) ---------------------------------------------------------------------


def apply(invocation, effects: list[dict]) -> None:
    """Check the sends of a successful invocation; publish them after the commit."""
    sends = [e.get("data") or {} for e in effects if e.get("kind") == EFFECT]
    if not sends:
        return
    limit = scripts_setting("STREAM_MAX_MESSAGE_BYTES")
    by_name: dict[str, list] = {}
    for send in sends:
        name, data = str(send.get("name")), str(send.get("data", "null"))
        size = len(data.encode("utf-8"))
        if size > limit:
            raise EffectRejected(
                f"A message for subscription {name} is {size} bytes; the limit is "
                f"{limit} bytes (SCRIPT_STREAM_MAX_MESSAGE_BYTES). Nothing was "
                "sent or written."
            )
        by_name.setdefault(name, []).append(
            [0, data, _clean_filter(send.get("filter"))]
        )
    tenant_id = invocation.tenant.id

    async def publish_all():
        for name, messages in by_name.items():
            await publish(tenant_id, key_of(name), messages)

    invocation.after_commit.append(publish_all)
    unknown = [name for name in by_name if not _is_subscription(tenant_id, name)]
    if unknown:
        invocation.after_commit.append(_unknown_warning(invocation, unknown))


def _clean_filter(value) -> dict:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _is_subscription(tenant_id: int, name: str) -> bool:
    from graphql_app.schemas import directory

    found = directory()
    try:
        found.refresh_sync()
    except Exception:  # noqa: BLE001 - only a warning depends on it
        return True
    return any(
        op.kind == "subscription" and op.name == name
        for op in found.operations.get(tenant_id, ())
    )


def _unknown_warning(invocation, names: list[str]):
    async def warn():
        from scripts_app.records import log_for

        log_for(
            invocation,
            "WARN",
            *(
                f"Subscription message sent to {name}, which is not a "
                "subscription of this tenant (register it with "
                "graphQLRegistry.registerSubscription); nobody can receive it"
                for name in names
            ),
        )

    return warn


# -- the hub --------------------------------------------------------------------------


class _Subscriptions:
    """The tenant's external subscriptions, as the hub's watcher checks them."""

    def __init__(self):
        self._indexed = -1
        self._index: dict = {}  # (tenant id, key) -> schemas.Operation

    @property
    def loads(self) -> int:
        from graphql_app.schemas import directory

        return directory().loads

    async def refresh(self) -> None:
        from graphql_app.schemas import directory

        await directory().refresh()

    def get(self, tenant_id: int, key: str):
        """The operation (a script version) serving subscription `key`, or None."""
        from graphql_app.schemas import directory

        found = directory()
        if found.loads != self._indexed:
            self._index = {
                (tid, key_of(op.name)): op
                for tid, ops in found.operations.items()
                for op in ops
                if op.kind == "subscription" and op.visibility == "external"
            }
            self._indexed = found.loads
        return self._index.get((tenant_id, key))


_subscriptions = _Subscriptions()


class SubscriptionHub(Hub):
    """A hub whose connections are subscribers; they get the raw messages.

    Each subscriber runs its own document on a message.
    """

    channel_prefix = "graphql.hub."

    def directory(self):
        return _subscriptions


_hubs = Hubs(SubscriptionHub, counter="graphql")


def subscription_hub() -> SubscriptionHub:
    """This event loop's hub of subscribers."""
    return _hubs.get()


# -- subscribing ----------------------------------------------------------------------


@dataclass
class Started:
    """What `start` made of a request.

    kind: "invalid" (a document that does not parse or validate: `errors`),
    "errors" (it failed before any result: `errors`), "result" (a query or
    mutation: `result`), or "subscription" (`subscription`).
    """

    kind: str
    errors: list | None = None
    result: dict | None = None
    subscription: Subscription | None = None


class Subscription:
    """One subscriber: its first message, then one result per message."""

    def __init__(self, conn, first, schema, document, variables, operation, caller):
        self.conn = conn
        self.first = first  # the formatted first result, or None
        self._schema = schema
        self._document = document
        self._variables = variables
        self._operation = operation
        self._caller = caller

    async def next_result(self, timeout: float | None = None):
        """The next formatted result; None once ended; KEEPALIVE after `timeout`."""
        item = await self.conn.next(timeout)
        if item is None:
            return None
        if item is TIMEOUT:
            return KEEPALIVE
        _, data = item
        return await self.result_of(data)

    async def result_of(self, data) -> dict:
        from graphql_app.execution import formatted

        result = execute(
            self._schema,
            self._document,
            root_value=SubscriptionEvent(data),
            context_value=self._caller,
            variable_values=self._variables,
            operation_name=self._operation,
            execution_context_class=limits.BoundedExecutionContext,
        )
        if isawaitable(result):
            result = await result
        return limits.bounded(formatted(result))

    def close(self) -> None:
        """Leave the hub (idempotent, from any thread)."""
        self.conn.release()


def _error(message: str, code: str) -> list:
    return [GraphQLError(message, extensions={"code": code}).formatted]


async def start(
    caller, query, variables, operation_name, *, mutations: bool = True
) -> Started:
    """Run a request for /graphql/ws or /graphql/sse as `caller`.

    mutations=False refuses a mutation (a GET, which a cross-site page can
    make with the visitor's session).
    """
    from graphql_app.execution import execute_document, formatted
    from graphql_app.schemas import directory

    if not isinstance(query, str) or not query.strip():
        return Started("invalid", _error("Must provide a query string.", "bad_request"))
    if variables is not None and not isinstance(variables, dict):
        return Started(
            "invalid", _error("variables must be a JSON object.", "bad_request")
        )
    if operation_name is not None and not isinstance(operation_name, str):
        return Started(
            "invalid", _error("operationName must be a string.", "bad_request")
        )
    operations = directory()
    if operations.stale():
        await operations.refresh()
    schema = operations.schema_for(caller.tenant.id)
    try:
        document = limits.parsed(query)
    except GraphQLError as exc:
        return Started("invalid", [exc.formatted])
    errors = limits.validated(schema, document)
    if errors:
        return Started("invalid", [e.formatted for e in errors])
    operation = get_operation_ast(document, operation_name)
    if (
        not mutations
        and operation is not None
        and operation.operation == OperationType.MUTATION
    ):
        return Started(
            "invalid",
            _error("Mutations are only run over POST.", "method_not_allowed"),
        )
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        result = await execute_document(
            schema, document, variables, operation_name, caller
        )
        return Started("result", result=limits.bounded(formatted(result)))
    built = ExecutionContext.build(
        schema, document, None, caller, variables, operation_name
    )
    if isinstance(built, list):  # variables that do not coerce
        return Started("invalid", [e.formatted for e in built])
    fields = collect_fields(
        schema,
        built.fragments,
        built.variable_values,
        schema.subscription_type,
        operation.selection_set,
    )
    if not fields:
        return Started(
            "invalid", _error("The subscription selects no field.", "bad_request")
        )
    name = next(iter(fields.values()))[0].name.value
    op = next(
        (
            o
            for o in operations.operations.get(caller.tenant.id, ())
            if o.kind == "subscription"
            and o.name == name
            and o.visibility == "external"
        ),
        None,
    )
    if op is None:
        return Started(
            "errors", _error(f"Subscription.{name} is not served here.", "not_found")
        )
    hub = subscription_hub()
    if hub.stopping:
        return Started(
            "errors",
            _error("This server is stopping; subscribe again.", "server_stopping"),
        )
    if hub.count >= scripts_setting("STREAM_MAX_CONNECTIONS"):
        return Started("errors", _too_many())
    root = Subscribing()
    result = execute(
        schema,
        document,
        root_value=root,
        context_value=caller,
        variable_values=variables,
        operation_name=operation_name,
        execution_context_class=limits.BoundedExecutionContext,
    )
    if isawaitable(result):
        result = await result
    if not root.ran:
        errors = result.errors or [
            GraphQLError(
                "The subscription could not start.",
                extensions={"code": "internal_error"},
            )
        ]
        return Started("errors", [e.formatted for e in errors])
    first = limits.bounded(formatted(result)) if root.has_first else None
    try:
        conn = await hub.connect(caller.tenant.id, key_of(name), root.metadata, op)
    except HubFull:
        return Started("errors", _too_many())
    except Exception:
        log.exception("Could not subscribe to %s", name)
        return Started(
            "errors",
            _error(
                "Subscriptions cannot be opened right now; try again shortly.",
                "unavailable",
            ),
        )
    return Started(
        "subscription",
        subscription=Subscription(
            conn, first, schema, document, variables, operation_name, caller
        ),
    )


def _too_many() -> list:
    return _error(
        "This server has as many subscriptions and streams open as it allows "
        "(SCRIPT_STREAM_MAX_CONNECTIONS); try again shortly.",
        "too_many_subscriptions",
    )
