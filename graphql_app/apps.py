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
