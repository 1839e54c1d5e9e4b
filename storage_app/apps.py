"""Script storage: sharedStorage, personalStorage and IOTA storage for scripts."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class StorageConfig(ScriptPlugin, AppConfig):
    name = "storage_app"
    verbose_name = "Script storage"

    script_api_js = "script_api.js"
    script_host_calls = ("storage.get", "storage.has")
    script_effect_prefix = "storage."
    script_settings = {
        # Per-script quotas: bytes of keys and values, and keys.
        "STORAGE_MAX_BYTES_PER_SCRIPT": 50 * 1024 * 1024,
        "STORAGE_MAX_KEYS_PER_SCRIPT": 10_000,
    }

    def script_ops(self, invocation):
        from storage_app.ops import script_ops

        return script_ops(invocation)

    def apply_script_effects(self, invocation, effects):
        from storage_app.effects import apply

        apply(invocation, effects)
