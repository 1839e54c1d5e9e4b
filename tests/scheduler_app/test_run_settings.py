"""The scheduler's settings are checked at start-up, and the beat tick exists."""

import pytest

from scheduler_app.checks import scheduler_settings_sane


def test_sane_defaults_pass():
    assert scheduler_settings_sane(None) == []


@pytest.mark.parametrize(
    "key, value",
    [
        ("SCHEDULER_CONCURRENCY", 0),
        ("SCHEDULER_CONCURRENCY", 2.5),
        ("SCHEDULER_TICK_SECONDS", 0),
        ("SCHEDULER_START_SECONDS", -1),
        ("SCHEDULER_LOST_MARGIN_SECONDS", -1),
        ("SCHEDULER_LOOKAHEAD_SECONDS", -0.5),
    ],
)
def test_a_bad_value_is_refused_by_name(settings, key, value):
    settings.SCRIPTS = {**settings.SCRIPTS, key: value}
    errors = scheduler_settings_sane(None)
    assert errors and all(e.id == "scheduler.E001" for e in errors)
    assert f"SCRIPT_{key}" in errors[0].msg


@pytest.mark.django_db
def test_migrate_leaves_beat_one_tick_every_second():
    from django_celery_beat.models import PeriodicTask

    from scheduler_app import beat

    beat.ensure_tick()  # idempotent: migrate made it already
    [task] = PeriodicTask.objects.filter(task=beat.TICK_TASK)
    assert (task.interval.every, task.interval.period) == (1, "seconds")
    assert task.enabled and task.expire_seconds == beat.TICK_EXPIRES_SECONDS
