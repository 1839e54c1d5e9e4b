"""/graphql, and the GraphQL operations scripts register (graphQLRegistry)."""

from django.apps import AppConfig


class GraphqlAppConfig(AppConfig):
    name = "graphql_app"
    verbose_name = "GraphQL"

    # scripts_app.hosting plugs these into every invocation: graphQLRegistry,
    # the host side of its executeGraphQL, and its subscription sends, applied
    # after success (graphql_app.subscriptions).
    script_api_js = "script_api.js"
    script_effect_prefix = "graphql."

    def script_ops(self, invocation):
        from graphql_app.execution import execute_for_script

        async def execute(query, variables_json=None):
            return await execute_for_script(invocation, query, variables_json)

        return {"graphql.execute": execute}

    def apply_script_effects(self, invocation, effects):
        from graphql_app.subscriptions import apply

        apply(invocation, effects)

    # scripts_app.services: the operations this app keeps.
    def refused_script_paths(self, registrations):
        return []  # GraphQL operations hold no paths

    def check_script_registrations(self, tenant, name, registrations):
        from graphql_app.registry import check

        return check(tenant, name, registrations)

    def store_script_registrations(self, script, registrations):
        from graphql_app.registry import store

        store(script, registrations)
