from django.apps import AppConfig

from core.plugins import ScriptPlugin


class ScriptsConfig(ScriptPlugin, AppConfig):
    """Scripts, their routes and runs; as a plugin, convert and console's log calls."""

    name = "scripts_app"
    verbose_name = "Scripts"
    script_api_js = "js/script_api.js"
    script_host_calls = ("convert.markdown", "logs.list", "logs.prune")
    # Script routes; an operator's run of any handler (admin, REST, manage.py).
    script_execution_kinds = {"http": "http", "manual": "cron"}
    script_registration_counters = {"routes": "routes"}  # scripts_app.routing

    def ready(self):
        from core import checks as plugin_checks  # noqa: F401
        from scripts_app import checks, signals  # noqa: F401

    def script_ops(self, invocation):
        from scripts_app import log_reading
        from scripts_app.conversions import markdown_to_html

        return {
            "convert.markdown": markdown_to_html,
            **log_reading.script_ops(invocation),
        }
