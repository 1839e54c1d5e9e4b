from django.apps import AppConfig


class SecretsConfig(AppConfig):
    """Secrets (encrypted, write-only) and the scripts' outbound `fetch`."""

    name = "secrets_app"
    verbose_name = "Secrets"
    script_api_js = "script_api.js"

    def script_ops(self, invocation):
        from secrets_app.ops import script_ops

        return script_ops(invocation)
