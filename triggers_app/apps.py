"""The Predix half of the platform: today the `$` SDK's pure functions.

Triggers on a document store, `$.get/post/...`, `$.cancelRequest` and
system messages come with issue 15; they build on this app.
"""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class TriggersConfig(ScriptPlugin, AppConfig):
    name = "triggers_app"
    verbose_name = "Triggers"
    script_api_js = "script_api.js"
