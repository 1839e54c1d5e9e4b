"""The platform's own GraphQL schema: the tenant's scripts, read and written.

    scripts: [Script!]
    script(uri: String!): Script
    upsertScript(uri: String!, content: String!): UpsertScript
        { success message uri chars version created code line column }
    deleteScript(uri: String!): DeleteScript { success message uri code }
    executions(...), execution(id), runScript(id, handler, args): graphql_app.runs

Apps add their own fields (ScriptPlugin.platform_graphql_query/mutation):
the scheduler's `jobs`, the document store's `entities`, `putEntity`...

`uri` is a script's id, as in /system/scripts/<id>. Uploads and deletes go
through scripts_app.services like the REST API's, so they are validated,
versioned and published the same way; an upload the platform refuses comes
back as `success: false` with the reason, while a caller who may not write
gets a GraphQL error and nothing changes.

The schema is executed asynchronously (graphql_app.execution): resolvers
that touch the database are marked `off_loop` and run in a worker thread.
"""

import functools

import graphene
from asgiref.sync import sync_to_async
from graphql import GraphQLError

from graphql_app import runs
from graphql_app.access import allow, allow_in_tenant, script_tenant
from scripts_app import policy
from scripts_app.models import LogEntry
from scripts_app.models import Script as ScriptRow
from scripts_app.services import ScriptRejected, delete_script, save_script

LOGS_DEFAULT = 100
LOGS_MAX = 1000


def off_loop(resolver):
    """Run a resolver that reads or writes the database in a worker thread.

    Execution runs on the event loop, where Django's ORM may not; a resolver
    returning a queryset must return a list instead (it is read here).
    """
    in_thread = sync_to_async(resolver)

    @functools.wraps(resolver)
    async def resolve(*args, **kwargs):
        return await in_thread(*args, **kwargs)

    return resolve


class Script(graphene.ObjectType):
    """One of the tenant's scripts."""

    uri = graphene.String(
        required=True, description="The script's id, as in /system/scripts/<id>."
    )
    chars = graphene.Int(
        required=True, description="Length of the source, in characters."
    )
    content = graphene.String(required=True, description="The source, as uploaded.")
    content_length = graphene.Int(
        required=True,
        description="Size of the source in bytes (UTF-8), what "
        "SCRIPT_MAX_SOURCE_BYTES limits.",
    )
    version = graphene.Int(
        required=True, description="The version number; every upload adds one."
    )
    logs = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        limit=graphene.Int(
            default_value=LOGS_DEFAULT,
            description=f"How many of the newest messages (at most {LOGS_MAX}).",
        ),
        description="The script's newest log messages, oldest first "
        "(GET /system/api/logs?script=<id> has their levels and times).",
    )

    @staticmethod
    def resolve_uri(script, info):
        return script.name

    @staticmethod
    def resolve_chars(script, info):
        return len(script.source)

    @staticmethod
    def resolve_content(script, info):
        return script.source

    @staticmethod
    def resolve_content_length(script, info):
        return len(script.source.encode("utf-8"))

    @staticmethod
    def resolve_version(script, info):
        return script.version

    @staticmethod
    @off_loop
    def resolve_logs(script, info, limit=LOGS_DEFAULT):
        if limit < 0:
            raise GraphQLError(
                "limit must be 0 or more.", extensions={"code": "bad_request"}
            )
        newest = (
            LogEntry.objects.filter(tenant_id=script.tenant_id, script_name=script.name)
            .order_by("-time", "-id")
            .values_list("message", flat=True)[: min(limit, LOGS_MAX)]
        )
        return list(reversed(newest))


class Query(graphene.ObjectType):
    scripts = graphene.List(
        graphene.NonNull(Script), description="The tenant's scripts, by id."
    )
    script = graphene.Field(
        Script,
        uri=graphene.String(required=True, description="The script's id."),
        description="One of the tenant's scripts, or null if it has none by that id.",
    )
    executions = runs.executions_field()  # and runScript: graphql_app.runs
    execution = runs.execution_field()

    @staticmethod
    @off_loop
    def resolve_scripts(root, info):
        tenant, user = script_tenant(info)
        return list(policy.scripts_visible_to(user, tenant).order_by("name"))

    @staticmethod
    @off_loop
    def resolve_script(root, info, uri):
        tenant, user = script_tenant(info)
        return policy.scripts_visible_to(user, tenant).filter(name=uri).first()


class UpsertScript(graphene.Mutation):
    """Create or replace a script, exactly as PUT /system/scripts/<id> does."""

    class Arguments:
        uri = graphene.String(required=True, description="The script's id.")
        content = graphene.String(required=True, description="The source.")

    success = graphene.Boolean(required=True)
    message = graphene.String(
        required=True,
        description="'Script created', 'Script updated', or why it was refused.",
    )
    uri = graphene.String(required=True)
    chars = graphene.Int(description="Length of the stored source, in characters.")
    version = graphene.Int(description="The stored version's number.")
    created = graphene.Boolean(description="True if the script did not exist yet.")
    warnings = graphene.List(
        graphene.NonNull(graphene.String),
        description="Registrations that were refused, each with why: calls "
        "that failed (each returned its error and registered nothing) and "
        "registrations the platform dropped (a reserved path, a path another "
        "script holds, an SDL that does not parse); the upload kept the others.",
    )
    code = graphene.String(
        description="Why it was refused, as the REST API's error code says it: "
        "compile_error, init_failed, init_timeout, ..."
    )
    line = graphene.Int(description="Where the error is in the source, if known.")
    column = graphene.Int()

    @staticmethod
    @off_loop
    def mutate(root, info, uri, content):
        tenant, user = script_tenant(info)
        existing = ScriptRow.objects.filter(tenant=tenant, name=uri).first()
        if existing is not None and policy.can(user, "view", existing):
            allow(user, "change", existing)
        else:
            allow_in_tenant(user, "create", tenant)
        try:
            saved = save_script(tenant, uri, content, user)
        except ScriptRejected as exc:
            return UpsertScript(
                success=False,
                message=exc.message,
                uri=uri,
                code=exc.code,
                line=exc.line,
                column=exc.column,
            )
        script = saved.script
        return UpsertScript(
            success=True,
            message="Script created" if saved.created else "Script updated",
            uri=script.name,
            chars=len(script.source),
            version=script.version,
            created=saved.created,
            warnings=saved.warnings,
        )


class DeleteScript(graphene.Mutation):
    """Delete a script, exactly as DELETE /system/scripts/<id> does."""

    class Arguments:
        uri = graphene.String(required=True, description="The script's id.")

    success = graphene.Boolean(required=True)
    message = graphene.String(required=True)
    uri = graphene.String(required=True)
    code = graphene.String(description="not_found when there was no such script.")

    @staticmethod
    @off_loop
    def mutate(root, info, uri):
        tenant, user = script_tenant(info)
        script = policy.scripts_visible_to(user, tenant).filter(name=uri).first()
        if script is not None:
            allow(user, "delete", script)
        else:
            # Who may not delete here is refused, whether the script exists or not.
            allow_in_tenant(user, "delete", tenant)
        if script is None:
            return DeleteScript(
                success=False,
                code="not_found",
                uri=uri,
                message=f"No script '{uri}' in this tenant; "
                "the scripts query lists them.",
            )
        delete_script(script)
        return DeleteScript(success=True, uri=uri, message="Script deleted")


class Mutation(graphene.ObjectType):
    upsert_script = UpsertScript.Field()
    delete_script = DeleteScript.Field()
    run_script = runs.RunScript.Field()


def _contributed(attribute: str) -> tuple:
    """The ObjectTypes other apps add to the schema (ScriptPlugin.platform_graphql_*)."""
    from django.utils.module_loading import import_string

    from core.plugins import plugins

    return tuple(
        import_string(path) for p in plugins() if (path := getattr(p, attribute))
    )


def build_schema() -> graphene.Schema:
    """Query and Mutation: the platform's fields, then each app's (in app order)."""
    query = type("Query", (Query, *_contributed("platform_graphql_query")), {})
    mutation = type(
        "Mutation", (Mutation, *_contributed("platform_graphql_mutation")), {}
    )
    return graphene.Schema(query=query, mutation=mutation)


schema = build_schema()
