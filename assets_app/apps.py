"""Script assets: assetStorage for scripts, asset routes, REST and admin."""

from django.apps import AppConfig

from assets_app import capabilities
from core.plugins import ScriptPlugin


class AssetsConfig(ScriptPlugin, AppConfig):
    name = "assets_app"
    verbose_name = "Assets"

    script_api_js = "script_api.js"
    script_host_calls = ("assets.list", "assets.fetch")
    script_effect_prefix = "assets."
    script_capabilities = capabilities.LABELS

    def script_ops(self, invocation):
        from assets_app.ops import script_ops

        return script_ops(invocation)

    def apply_script_effects(self, invocation, effects):
        from assets_app.ops import apply_script_effects

        apply_script_effects(invocation, effects)
