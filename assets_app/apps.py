"""Script assets: assetStorage for scripts, asset routes, REST and admin."""

from django.apps import AppConfig

from assets_app import capabilities
from core.plugins import ScriptPlugin


class AssetsConfig(ScriptPlugin, AppConfig):
    name = "assets_app"
    verbose_name = "Assets"

    script_api_js = "script_api.js"
    script_host_calls = (
        "assets.list",
        "assets.fetch",
        "assets.exists",
        "assets.check_route",  # registerAssetRoute from a handler (assets_app.routes)
        "assets.routes",  # listAssets in a handler
    )
    script_effect_prefix = "assets."
    script_capabilities = capabilities.LABELS
    # Asset routes (routeRegistry.registerAssetRoute): GET/HEAD serve an asset.
    script_route_kinds = ("asset",)
    script_registration_counters = {"assets": "routes"}  # the route table

    def script_routes(self, registrations):
        return [
            {
                "method": "GET",
                "path": a["path"],
                "kind": "asset",
                "resource": a["asset"],
            }
            for a in registrations.get("assets", [])
        ]

    def refused_script_paths(self, registrations):
        from core.plugins import Refused
        from scripts_app.routing import reserved
        from scripts_app.services import RESERVED

        return [
            Refused("assets", a, f"asset route {a['path']}: {RESERVED}")
            for a in registrations.get("assets", [])
            if reserved(a["path"])
        ]

    async def serve_script_route(self, call, target):
        from assets_app.serving import serve_asset

        return await serve_asset(call, target)

    def script_ops(self, invocation):
        from assets_app.ops import script_ops

        return script_ops(invocation)

    def apply_script_effects(self, invocation, effects):
        from assets_app.ops import apply_script_effects

        apply_script_effects(invocation, effects)
