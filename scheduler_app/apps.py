"""Scheduled and one-off jobs: aiwebengine's schedulerService, IOTA's cron scripts.

Jobs are rows (scheduler_app.models.Job) that outlive restarts; they run
through the one invocation runner (scripts_app.invocations.run) from a Celery
task on the scaled stack and from the same task function in the serving
process on the embedded one.
"""

from django.apps import AppConfig

from core.plugins import ScriptPlugin


class SchedulerConfig(ScriptPlugin, AppConfig):
    name = "scheduler_app"
    verbose_name = "Scheduled jobs"
    default_auto_field = "django.db.models.BigAutoField"

    # schedulerService; a handler's registerX/clearAll are effects (R5).
    script_api_js = "script_api.js"
    script_effect_prefix = "scheduler."
    # Scheduled runs get R8's cron row (30 s, 128 MB).
    script_execution_kinds = {"scheduled": "cron"}
    platform_graphql_query = "scheduler_app.graphql.JobQuery"
    script_settings = {
        # An overdue recurring or cron slot later than this was missed (the
        # platform was down) and is dropped, not run late (scheduler_app.schedule).
        "SCHEDULE_MISSED_GRACE_SECONDS": 60,
    }

    def ready(self):
        from scheduler_app import signals  # noqa: F401 - connects the receivers

    def check_script_registrations(self, tenant, name, registrations):
        from scheduler_app.registry import JobInvalid, specs_of
        from scripts_app.services import ScriptRejected

        try:
            specs_of(registrations)
        except JobInvalid as exc:
            raise ScriptRejected(
                400, "invalid_schedule", str(exc), details=exc.details
            ) from None
        return []

    def store_script_registrations(self, script, registrations):
        from scheduler_app.registry import store

        store(script, registrations)

    def apply_script_effects(self, invocation, effects):
        from scheduler_app.effects import apply

        apply(invocation, effects)
