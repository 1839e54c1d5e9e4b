"""An app that claims a host call another installed app already answers."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class ClashingConfig(ScriptPlugin, AppConfig):
    name = "tests.core.clashing_app"
    label = "clashing_app"
    script_host_calls = ("fetch",)
