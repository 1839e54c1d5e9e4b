"""An app that inherits the plugin base class and declares nothing."""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class EmptyConfig(ScriptPlugin, AppConfig):
    name = "tests.core.empty_app"
    label = "empty_app"
