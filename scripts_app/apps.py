from django.apps import AppConfig


class ScriptsConfig(AppConfig):
    name = "scripts_app"
    verbose_name = "Scripts"

    def ready(self):
        from scripts_app import checks, signals  # noqa: F401
