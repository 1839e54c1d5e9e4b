"""Run a GraphQL document against a tenant's schema, for /graphql or a script.

Execution is graphql-core's, asynchronous, on the event loop: script fields
await their resolvers (graphql_app.resolvers) and the platform's fields,
which read the database, run in a worker thread (graphql_app.schema).
`/graphql` is a sync Django view and gets here through async_to_sync, which
under ASGI runs the execution on the server's event loop, where the warm
script contexts live (R3).

A script's `graphQLRegistry.executeGraphQL(query, variables)` is the host call
`graphql.execute`: it runs against the schema that script may see and settles
with the seed's JSON string, `{"data": ...}` and/or `{"errors": [...]}`.
GraphQL errors are part of that answer, never a rejection (a query over the
cost limits of graphql_app.limits, too); only misuse (variables that are not
a JSON object or nest too deeply, a chain of queries too deep) rejects.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from inspect import isawaitable

from asgiref.sync import sync_to_async
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
)

from core.conf import scripts_setting
from core.json_input import loads
from engine import HostError
from graphql_app import limits
from scripts_app.records import log_for

SUBSCRIPTIONS_LATER = (
    "Subscriptions are served over /graphql/ws (the graphql-transport-ws "
    "protocol) and /graphql/sse; run queries and mutations here."
)
# An executeGraphQL request as its resolvers see it: there is no HTTP request.
_SCRIPT_REQUEST = {
    "method": "POST",
    "path": "/graphql",
    "query": {},
    "form": {},
    "headers": {},
    "body": "",
    "params": {},
}


@dataclass
class Caller:
    """Who runs a document: graphql-core's context_value, read by every resolver.

    The platform's fields read `user` and `tenant` (graphql_app.access);
    script fields read the rest.
    """

    tenant: object
    user: object  # a Django user or AnonymousUser
    auth: dict  # request.auth, as resolvers get it (R10)
    user_info: dict | None  # context.user
    request: dict  # context.request of the resolvers
    via: str  # "http" (/graphql), "ws", "sse" (subscriptions) or "executeGraphQL"
    depth: int = 0  # the depth resolvers run at (see SCRIPT_DISPATCH_MAX_DEPTH)
    invocation: object | None = None  # the calling script's, for executeGraphQL

    @property
    def user_id(self) -> int | None:
        value = self.auth.get("userId")
        return int(value) if value else None

    @property
    def script_name(self) -> str | None:
        return self.invocation.script_name if self.invocation is not None else None


async def execute_document(schema, document, variables, operation_name, caller):
    """Execute a parsed and validated document; return graphql-core's result."""
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
        return ExecutionResult(
            None,
            [
                GraphQLError(
                    SUBSCRIPTIONS_LATER,
                    operation,
                    extensions={"code": "not_available"},
                )
            ],
        )
    result = execute(
        schema,
        document,
        context_value=caller,
        variable_values=variables,
        operation_name=operation_name,
        execution_context_class=limits.BoundedExecutionContext,
    )
    if isawaitable(result):
        result = await result
    return result


async def run(schema, query: str, variables, operation_name, caller) -> ExecutionResult:
    """Parse, validate (with the cost limits) and execute `query`."""
    try:
        document = limits.parsed(query)
    except GraphQLError as exc:
        return ExecutionResult(None, [exc])
    errors = limits.validated(schema, document)
    if errors:
        return ExecutionResult(None, errors)
    return await execute_document(schema, document, variables, operation_name, caller)


def formatted(result: ExecutionResult) -> dict:
    """The response as the GraphQL spec words it (as /graphql answers).

    `data` is left out when the request failed before execution (errors
    without a path); `errors` when there are none.
    """
    out = {}
    errors = result.errors or []
    if not errors or any(e.path for e in errors) or result.data is not None:
        out["data"] = result.data
    if errors:
        out["errors"] = [e.formatted for e in errors]
    return out


# -- executeGraphQL -------------------------------------------------------------------

# Executions still running after their caller went away (it ran out of time).
_orphans: set[asyncio.Task] = set()


async def execute_for_script(invocation, query, variables_json=None) -> str:
    """Run `query` for the invocation's script; return the JSON string answer."""
    from graphql_app.schemas import directory

    if not isinstance(query, str) or not query.strip():
        raise HostError(
            "executeGraphQL: the query must be a non-empty string", "TypeError"
        )
    variables = None
    if variables_json is not None:
        if not isinstance(variables_json, str):
            raise HostError(
                "executeGraphQL: variables must be a JSON string", "TypeError"
            )
        try:
            variables = loads(variables_json)
        except ValueError as exc:
            raise HostError(
                f"executeGraphQL: variables are not valid JSON: {exc}", "TypeError"
            ) from None
        if not isinstance(variables, dict):
            raise HostError(
                "executeGraphQL: variables must be a JSON object", "TypeError"
            )
    depth = invocation.depth + 1
    max_depth = scripts_setting("DISPATCH_MAX_DEPTH")
    if depth > max_depth:
        _refuse(
            invocation,
            f"executeGraphQL was refused: it would start a chain of script calls "
            f"{depth} deep, over the limit of {max_depth} "
            "(SCRIPT_DISPATCH_MAX_DEPTH, which counts dispatcher messages and "
            "GraphQL queries alike). A resolver probably runs a query that "
            "resolves through itself, directly or through other scripts.",
        )
    found = directory()
    if found.stale():
        await found.refresh()
    schema = found.schema_for(invocation.tenant.id, invocation.script_id)
    caller = await sync_to_async(script_caller)(invocation, depth)
    running = asyncio.ensure_future(run(schema, query, variables, None, caller))
    try:
        # Shielded: a caller stopped for time does not stop resolvers half-way.
        result = await asyncio.shield(running)
    except asyncio.CancelledError:
        _orphans.add(running)
        running.add_done_callback(_orphans.discard)
        raise
    return limits.encoded(formatted(result))


def script_caller(invocation, depth: int) -> Caller:
    """The Caller of an executeGraphQL: the user the calling invocation runs for."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    from scripts_app.http import auth_for
    from tenants.models import role_of

    user = None
    if invocation.user_id is not None:
        user = (
            get_user_model()
            .objects.filter(pk=invocation.user_id, is_active=True)
            .first()
        )
    role = role_of(user, invocation.tenant) if user is not None else None
    auth, user_info = auth_for(user, role)
    return Caller(
        tenant=invocation.tenant,
        user=user or AnonymousUser(),
        auth=auth,
        user_info=user_info,
        request={**_SCRIPT_REQUEST, "auth": auth},
        via="executeGraphQL",
        depth=depth,
        invocation=invocation,
    )


def _refuse(invocation, message: str):
    """Log why the call is refused, for the caller; reject the script's call.

    Logged as well as raised: a script that does not await its call would
    otherwise never learn of it.
    """
    log_for(invocation, "ERROR", message)
    raise HostError(message, "RangeError")
