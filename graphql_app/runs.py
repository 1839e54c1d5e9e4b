"""The platform schema's executions and runScript: what REST shows and does, in GraphQL.

    executions(script, kind, status, triggeredBy, ref, job, limit, offset)
        : [ScriptExecution!]
    execution(id: ID!): ScriptExecution
    runScript(id: String!, handler: String, args: GenericScalar): RunScript
        { success executionId status result logs durationMs error code message }

`executions` lists the tenant's execution records newest first, filtered like
GET /system/api/executions. `runScript` runs a handler now exactly as POST
/system/api/scripts/<id>/run does (scripts_app.runs.run_now, triggeredBy
"api"), waiting for its end: a request the platform refuses (no such script
or handler, args that are no object or array) comes back as `success: false`
with `code` and `message`; a caller who may not write gets a GraphQL error.
"""

import uuid

import graphene
from asgiref.sync import sync_to_async
from graphene.types.generic import GenericScalar
from graphql import GraphQLError

from graphql_app.access import allow, allow_in_tenant, readable_tenant, script_tenant
from scripts_app import policy, runs
from scripts_app.executions import stored_result
from scripts_app.models import Execution as ExecutionRow
from scripts_app.models import ExecutionStatus

EXECUTIONS_DEFAULT = 100
EXECUTIONS_MAX = 1000


def _off_loop(function):
    return sync_to_async(function)


class Execution(graphene.ObjectType):
    """One run of a script: what started it, how it ended, what it returned."""

    class Meta:
        # Type names of the platform are kept from scripts (graphql_app.merge):
        # the prefix leaves "Execution" to them.
        name = "ScriptExecution"

    id = graphene.ID(required=True)
    script = graphene.String(required=True, description="The script's id.")
    version = graphene.Int()
    kind = graphene.String(required=True, description="http, manual, listener...")
    handler = graphene.String(required=True)
    trigger = graphene.String(required=True, description="What started it.")
    triggered_by = graphene.String(
        required=True, description="http, api, manual, cron or event."
    )
    ref = graphene.String(
        required=True, description="The object that started it (job:<uuid>), or ''."
    )
    status = graphene.String(
        required=True, description="ok, error, timeout, memory_limit, skipped, lost."
    )
    result = GenericScalar(
        description="The handler's return value (manual and scheduled runs); "
        "past SCRIPT_EXECUTION_RESULT_CHARS, the cut JSON text."
    )
    result_cut = graphene.Boolean(required=True)
    response_status = graphene.Int()
    duration_ms = graphene.Float(required=True)
    error = graphene.String(required=True)
    started_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_script(row, info):
        return row.script_name

    @staticmethod
    def resolve_result(row, info):
        return stored_result(row.result)[0]

    @staticmethod
    def resolve_result_cut(row, info):
        return stored_result(row.result)[1]


def _bad(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "bad_request"})


@_off_loop
def resolve_executions(
    root,
    info,
    script=None,
    kind=None,
    status=None,
    triggered_by=None,
    ref=None,
    job=None,
    limit=EXECUTIONS_DEFAULT,
    offset=0,
):
    rows = ExecutionRow.objects.filter(tenant=readable_tenant(info))
    if status:
        known = [s.value for s in ExecutionStatus]
        if status not in known:
            raise _bad(f"status must be one of {', '.join(known)}.")
    if limit < 0 or offset < 0:
        raise _bad("limit and offset must be 0 or more.")
    exact = {
        "script_name": script,
        "kind": kind,
        "status": status,
        "triggered_by": triggered_by,
        "ref": ref or (f"job:{job}" if job else None),
    }
    rows = rows.filter(**{k: v for k, v in exact.items() if v})
    return list(
        rows.order_by("-started_at")[offset : offset + min(limit, EXECUTIONS_MAX)]
    )


@_off_loop
def resolve_execution(root, info, id):
    try:
        execution_id = uuid.UUID(str(id))
    except ValueError:
        raise _bad(f"'{id}' is not an execution id (a UUID).") from None
    return ExecutionRow.objects.filter(
        tenant=readable_tenant(info), id=execution_id
    ).first()


def executions_field():
    return graphene.List(
        graphene.NonNull(Execution),
        script=graphene.String(description="Only this script's runs."),
        kind=graphene.String(),
        status=graphene.String(),
        triggered_by=graphene.String(),
        ref=graphene.String(description="Only runs started by it: job:<uuid>."),
        job=graphene.String(description="Only this job's runs (its id)."),
        limit=graphene.Int(
            default_value=EXECUTIONS_DEFAULT, description=f"At most {EXECUTIONS_MAX}."
        ),
        offset=graphene.Int(default_value=0),
        resolver=resolve_executions,
        description="The tenant's execution records, newest first.",
    )


def execution_field():
    return graphene.Field(
        Execution,
        id=graphene.ID(required=True),
        resolver=resolve_execution,
        description="One execution record, or null (a run still going has none yet).",
    )


class RunLog(graphene.ObjectType):
    class Meta:
        name = "RunScriptLog"

    level = graphene.String(required=True)
    message = graphene.String(required=True)
    fields = GenericScalar()
    time = graphene.String()


class RunError(graphene.ObjectType):
    class Meta:
        name = "RunScriptError"

    code = graphene.String(required=True)
    message = graphene.String(
        required=True, description="What failed and where (file:line:column)."
    )
    line = graphene.Int()
    column = graphene.Int()
    stack = graphene.String()


class RunScript(graphene.Mutation):
    """Run a handler of a script now, as POST /system/api/scripts/<id>/run does."""

    class Arguments:
        id = graphene.String(required=True, description="The script's id.")
        handler = graphene.String(description="The function; default main().")
        args = GenericScalar(description="context.args: an object or a list.")

    success = graphene.Boolean(
        required=True, description="True if the handler ran and returned."
    )
    execution_id = graphene.ID()
    status = graphene.String(description="ok, error, timeout, memory_limit.")
    result = GenericScalar(description="The handler's return value.")
    logs = graphene.List(graphene.NonNull(RunLog))
    duration_ms = graphene.Float()
    error = graphene.Field(RunError)
    code = graphene.String(
        description="Why it did not run: not_found, bad_args, handler_not_found, "
        "no_handler, bad_handler, script_disabled, throttled."
    )
    message = graphene.String()

    @staticmethod
    async def mutate(root, info, id, handler=None, args=None):
        tenant, user = await sync_to_async(script_tenant)(info)
        script = await sync_to_async(_script)(tenant, user, id)
        if script is not None:
            await sync_to_async(allow)(user, "execute", script)
        else:
            await sync_to_async(allow_in_tenant)(user, "execute", tenant)
        if script is None:
            return RunScript(
                success=False,
                code="not_found",
                message=f"No script '{id}' in this tenant; the scripts query "
                "lists them.",
            )
        try:
            result = await runs.run_now(
                script, handler, args, triggered_by="api", user=user
            )
        except runs.RunRefused as exc:
            return RunScript(success=False, code=exc.code, message=exc.message)
        if result.status == "refused":
            return RunScript(
                success=False, code="throttled", message=result.error["message"]
            )
        return RunScript(
            success=result.ok,
            execution_id=result.execution_id,
            status=result.status,
            result=result.result,
            logs=[RunLog(**entry) for entry in result.logs],
            duration_ms=result.duration_ms,
            error=RunError(**result.error) if result.error else None,
            message=result.error["message"] if result.error else None,
        )


def _script(tenant, user, name):
    return (
        policy.scripts_visible_to(user, tenant)
        .filter(name=name)
        .select_related("tenant")
        .first()
    )
