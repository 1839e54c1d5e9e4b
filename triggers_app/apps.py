"""The Predix half of the platform: triggers, system messages and the `$` SDK.

Triggers (/system/triggers) bind Predix scripts to the document store's
collections (documents_app) or to /custom/<name> endpoints; system messages
(/system/messages) say what those scripts reported. Running the scripts
around store requests (documents_app.pipeline's hooks) comes next.
"""

from django.apps import AppConfig

from core.plugins import ScriptPlugin

BODY_FUNCTION = "__predixBody"
RUN_HANDLER = "__predixRun"


class TriggersConfig(ScriptPlugin, AppConfig):
    name = "triggers_app"
    verbose_name = "Triggers"
    script_api_js = "script_api.js"
    default_auto_field = "django.db.models.BigAutoField"
    script_settings = {
        # System messages older than this many days are deleted (0: kept).
        "SYSTEM_MESSAGES_MAX_AGE_DAYS": 30,
        # Each tenant keeps at most this many, the newest (0: no cap).
        "SYSTEM_MESSAGES_MAX_PER_TENANT": 10_000,
        # Post-processing scripts on Celery workers (True) or in the serving
        # process that answered (False); None: on Celery when REDIS_URL is set.
        "POST_PROCESSING_ON_CELERY": None,
    }

    # A Predix script (an @execution tag) is a coroutine body: its source
    # becomes the generator `__predixBody` (async when it says `await`), run
    # per trigger by the `$` module's __predixRun handler.
    script_execution_kinds = {
        "pre-processing": "pre-processing",
        "post-processing": "http",
        "custom": "http",
    }

    def ready(self):
        from documents_app import pipeline
        from triggers_app import signals  # noqa: F401
        from triggers_app.runtime import TriggerHook

        if not any(isinstance(h, TriggerHook) for h in pipeline.hooks):
            pipeline.hooks.append(TriggerHook())

    def script_source_body(self, header):
        return BODY_FUNCTION if "execution" in header else ""

    def script_admin_links(self, script):
        from scripts_app.script_links import filtered_changelist

        return [filtered_changelist("Triggers", "triggers_app.Trigger", script)]
