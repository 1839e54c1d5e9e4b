from django.apps import AppConfig


class ScriptsConfig(AppConfig):
    name = "scripts_app"
    verbose_name = "Scripts"
    # convert.markdown_to_html (see scripts_app/hosting.py for the contract).
    script_api_js = "js/convert.js"

    def ready(self):
        from scripts_app import checks, signals  # noqa: F401

    def script_ops(self, invocation):
        from scripts_app.conversions import markdown_to_html

        return {"convert.markdown": markdown_to_html}
