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
    # The runner's knobs (docs/operations.md, "Scheduled jobs").
    script_settings = {
        # Run due jobs in the serving process (the embedded stack); None:
        # there unless REDIS_URL is set (then Celery workers and beat run them).
        "SCHEDULER_IN_PROCESS": None,
        # How often the serving process looks for due jobs, at most.
        "SCHEDULER_TICK_SECONDS": 1.0,
        # Beat's tick also claims the runs due within this many seconds, and
        # the workers start them at their due moment: a burst of due runs is
        # claimed and handed out before it is due (0: claim when due).
        "SCHEDULER_LOOKAHEAD_SECONDS": 3.0,
        # Runs one process runs at once (a serving process, a Celery worker).
        "SCHEDULER_CONCURRENCY": 16,
        # A recurring or cron run found later than this was missed (the
        # platform was down): it is not replayed (scheduler_app.schedule).
        "SCHEDULER_MISSED_GRACE_SECONDS": 60.0,
        # A claimed run not started within this is recorded as lost ...
        "SCHEDULER_START_SECONDS": 60.0,
        # ... and a started one still running this long past its time limit.
        "SCHEDULER_LOST_MARGIN_SECONDS": 15.0,
    }

    def ready(self):
        from scheduler_app import beat, checks, signals  # noqa: F401 - receivers, checks

        beat.connect()

    async def serving_task(self):
        from scheduler_app import embedded

        await embedded.serve()

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

    def script_admin_links(self, script):
        from scripts_app.script_links import filtered_changelist

        return [filtered_changelist("Jobs", "scheduler_app.Job", script)]
