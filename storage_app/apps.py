"""Script storage: sharedStorage, personalStorage and IOTA storage for scripts."""

from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "storage_app"
    verbose_name = "Script storage"

    # scripts_app.hosting plugs these into every invocation.
    script_api_js = "script_api.js"
    script_effect_prefix = "storage."

    def script_ops(self, invocation):
        from storage_app.ops import script_ops

        return script_ops(invocation)

    def apply_script_effects(self, invocation, effects):
        from storage_app.effects import apply

        apply(invocation, effects)
