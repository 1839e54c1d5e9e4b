"""Resolve a script's GraphQL field by running its resolver in the script's context.

The resolver gets the R10 context with `args` (the field's arguments, also
readable on the context itself, so the seed's `function getUser(args) {
args.id }` works), `request.auth` (who asked), `kind` "resolver" and
`meta` {field, operation, operationName, path, via, caller}. It may return
an object (or list, or scalar) or a JSON string of one. It runs as any
invocation does (scripts_app.invocations.run): its own limits (the
"resolver" row), effects, logs and execution record. A resolver that throws,
runs out of time or memory, or whose writes are refused gives that field a
GraphQL error (message, locations, path); the rest of the query still
answers.

A subscription's resolver runs once, on subscribe (root value
graphql_app.subscriptions.Subscribing, which takes its first message and
metadata); each message delivered later is the field's value as is (root
value SubscriptionEvent), with no script run.
"""

from __future__ import annotations

import json
import logging

from django.core.exceptions import ObjectDoesNotExist
from graphql import GraphQLError, get_nullable_type, is_leaf_type

from graphql_app.access import AUTHENTICATION_REQUIRED

log = logging.getLogger(__name__)

KIND = "resolver"
# Callers from outside (/graphql, /graphql/ws, /graphql/sse): they must be
# signed in unless the tenant's GraphQL is public.
EXTERNAL_VIAS = frozenset({"http", "ws", "sse"})
# Context fields a resolver's arguments may not shadow (R10).
CONTEXT_FIELDS = frozenset(
    {"request", "args", "kind", "meta", "tenant", "user", "script", "execution"}
)


def resolver_for(op):
    """The graphql-core resolver of operation `op` (graphql_app.schemas.Operation)."""
    target = op.target()
    trigger = f"graphql {op.kind} {op.name}"

    async def resolve(root, info, **args):
        from scripts_app.executions import error_text
        from scripts_app.invocations import run

        caller = info.context
        subscribing = None
        if op.kind == "subscription":
            from graphql_app.subscriptions import Subscribing, SubscriptionEvent

            if isinstance(root, SubscriptionEvent):  # a message: its data is the value
                return decoded(root.data, info.return_type, op)
            if not isinstance(root, Subscribing):
                raise GraphQLError(
                    "Subscriptions are served over /graphql/ws (graphql-transport-ws) "
                    "and /graphql/sse.",
                    extensions={"code": "not_available"},
                )
            subscribing = root
        if (
            caller.via in EXTERNAL_VIAS
            and not caller.auth.get("isAuthenticated")
            and not caller.tenant.graphql_public
        ):
            raise GraphQLError(
                AUTHENTICATION_REQUIRED, extensions={"code": "not_authenticated"}
            )
        if caller.invocation is not None:
            # A resolver ran (and may have written): running the calling
            # script again would run it twice.
            caller.invocation.irreversible = True
        operation = info.operation
        context = {
            **{k: v for k, v in args.items() if k not in CONTEXT_FIELDS},
            "args": args,
            "request": caller.request,
            "user": caller.user_info,
            "meta": {
                "field": op.name,
                "operation": op.kind,
                "operationName": operation.name.value if operation.name else None,
                "path": info.path.as_list(),
                "via": caller.via,
                "caller": caller.script_name,
            },
        }
        try:
            outcome = await run(
                KIND,
                caller.tenant,
                target,
                context,
                trigger=trigger,
                user_id=caller.user_id,
                depth=caller.depth,
                triggered_by="api",  # the GraphQL API (meta.via says how)
                # executeGraphQL: the calling script's request pays for this too.
                budget=getattr(caller.invocation, "budget", None),
            )
        except ObjectDoesNotExist:
            # The script went away after this process last read the operations.
            from graphql_app.schemas import directory

            directory().invalidate()
            raise GraphQLError(
                f"The script serving {op.kind} {op.name} was changed or deleted "
                "meanwhile; try again.",
                extensions={"code": "script_gone"},
            ) from None
        except Exception:
            log.exception("Resolving %s failed", trigger)
            raise GraphQLError(
                "The platform failed while running the resolver.",
                extensions={"code": "internal_error"},
            ) from None
        err = outcome.error
        if err is not None:
            code = "script_timeout" if err.code == "timeout" else f"script_{err.code}"
            raise GraphQLError(error_text(err, target), extensions={"code": code})
        if subscribing is not None:
            first = subscribing.accept(outcome.value, args)
            return None if first is None else decoded(first, info.return_type, op)
        return decoded(outcome.value, info.return_type, op)

    resolve.__qualname__ = f"resolve_{op.kind}_{op.name}"
    return resolve


def decoded(value, return_type, op):
    """The resolver's value as the field's value: a JSON string is parsed.

    For a scalar or enum field (not a list of them) a string that is not
    JSON, or is JSON of an object or list, is the value itself, so `return "hello"` works for a
    String field as well as `return JSON.stringify("hello")`.
    """
    if not isinstance(value, str):
        return value
    leaf = is_leaf_type(get_nullable_type(return_type))
    try:
        parsed = json.loads(value)
    except ValueError:
        if leaf:
            return value
        raise GraphQLError(
            f"The resolver of {op.kind} {op.name} returned a string that is not "
            "JSON; return an object, or JSON.stringify(...) of one.",
            extensions={"code": "script_bad_result"},
        ) from None
    if leaf and isinstance(parsed, dict | list):
        return value
    return parsed
