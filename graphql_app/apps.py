"""/graphql, and the GraphQL operations scripts register (graphQLRegistry)."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class GraphqlAppConfig(ScriptPlugin, AppConfig):
    name = "graphql_app"
    verbose_name = "GraphQL"

    # graphQLRegistry, the host side of its executeGraphQL, and its
    # subscription sends, applied after success (graphql_app.subscriptions).
    script_api_js = "script_api.js"
    script_host_calls = ("graphql.execute",)
    script_effect_prefix = "graphql."
    script_reserved_paths = ("/graphql",)  # /graphql, /graphql/ws, /graphql/sse
    script_execution_kinds = {"resolver": "http"}
    script_registration_counters = {"graphql": "graphql"}  # schemas.directory()
    # What one GraphQL request may cost (graphql_app.limits), however it comes.
    script_settings = {
        "GRAPHQL_MAX_QUERY_CHARS": 100_000,
        # 15: the introspection queries of GraphiQL (13) and graphql-core (15).
        "GRAPHQL_MAX_DEPTH": 15,
        "GRAPHQL_MAX_ALIASES": 50,
        # Introspection selects about 230; graphql-core's overlapping-fields
        # validation costs the square of this.
        "GRAPHQL_MAX_FIELDS": 500,
        "GRAPHQL_MAX_RESULT_BYTES": 10 * 1024 * 1024,
    }

    def ready(self):
        # Int carries JavaScript's safe integers, not only 32-bit ones
        # (graphql_app.scalars says why).
        from graphql_app.scalars import widen_int

        widen_int()

    def script_ops(self, invocation):
        from graphql_app.execution import execute_for_script

        async def execute(query, variables_json=None):
            return await execute_for_script(invocation, query, variables_json)

        return {"graphql.execute": execute}

    def apply_script_effects(self, invocation, effects):
        from graphql_app.subscriptions import apply

        apply(invocation, effects)

    # The operations this app keeps (they hold no paths).
    def check_script_registrations(self, tenant, name, registrations):
        from graphql_app.registry import check

        return check(tenant, name, registrations)

    def store_script_registrations(self, script, registrations):
        from graphql_app.registry import store

        store(script, registrations)

    def script_admin_links(self, script):
        from scripts_app.script_links import filtered_changelist

        return [
            filtered_changelist(
                "GraphQL operations", "graphql_app.GraphQLOperation", script
            )
        ]
