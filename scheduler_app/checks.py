"""Start-up checks of the scheduler's settings (docs/operations.md, "Scheduled jobs")."""

from django.core.checks import Error, register

from core.conf import scripts_setting

# Settings that must be numbers above 0 (else ticks spin or runs never start).
POSITIVE = (
    ("SCHEDULER_CONCURRENCY", "SCRIPT_SCHEDULER_CONCURRENCY"),
    ("SCHEDULER_TICK_SECONDS", "SCRIPT_SCHEDULER_TICK_SECONDS"),
    ("SCHEDULER_START_SECONDS", "SCRIPT_SCHEDULER_START_SECONDS"),
)
NOT_NEGATIVE = (
    ("SCHEDULER_MISSED_GRACE_SECONDS", "SCRIPT_SCHEDULER_MISSED_GRACE_SECONDS"),
    ("SCHEDULER_LOST_MARGIN_SECONDS", "SCRIPT_SCHEDULER_LOST_MARGIN_SECONDS"),
    ("SCHEDULER_LOOKAHEAD_SECONDS", "SCRIPT_SCHEDULER_LOOKAHEAD_SECONDS"),
)


@register()
def scheduler_settings_sane(app_configs, **kwargs):
    errors = []
    for key, variable in POSITIVE:
        value = scripts_setting(key)
        if not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(
                    f"{variable} must be above 0, not {value!r}.", id="scheduler.E001"
                )
            )
    if not isinstance(scripts_setting("SCHEDULER_CONCURRENCY"), int):
        errors.append(
            Error(
                "SCRIPT_SCHEDULER_CONCURRENCY must be a whole number.",
                id="scheduler.E001",
            )
        )
    for key, variable in NOT_NEGATIVE:
        value = scripts_setting(key)
        if not isinstance(value, int | float) or value < 0:
            errors.append(
                Error(
                    f"{variable} must be 0 or more, not {value!r}.", id="scheduler.E001"
                )
            )
    return errors
