"""Secrets (encrypted, write-only) and the scripts' outbound `fetch`."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class SecretsConfig(ScriptPlugin, AppConfig):
    name = "secrets_app"
    verbose_name = "Secrets"

    script_api_js = "script_api.js"
    script_host_calls = ("fetch",)
    script_settings = {
        "SECRETS_KEY": "",  # empty: a key generated once into var/secrets_key
        "FETCH_ALLOW": [],
        "FETCH_TIMEOUT_SECONDS": 30.0,
        "FETCH_MAX_BYTES": 10 * 1024 * 1024,
    }

    def script_ops(self, invocation):
        from secrets_app.ops import script_ops

        return script_ops(invocation)
