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

    # Scheduled runs get R8's cron row (30 s, 128 MB).
    script_execution_kinds = {"scheduled": "cron"}
