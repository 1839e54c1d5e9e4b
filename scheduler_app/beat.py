"""The beat side of the scaled stack: one periodic tick, kept in the database.

django-celery-beat's DatabaseScheduler sends the tasks its PeriodicTask rows
name. Ours is one row, made (or put right) after every `migrate`, so a fresh
installation's beat needs no set-up: every SCHEDULER_TICK_SECONDS (whole
seconds, at least 1) it sends `scheduler.tick`, which claims the due runs and
sends them to the workers (scheduler_app.tasks). Several beats may run: each
due run is still claimed once (scheduler_app.runner).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

from core.conf import scripts_setting

TICK_TASK = "scheduler.tick"
TICK_NAME = "scheduler: claim and run due jobs"
# A tick not taken by a worker within this is dropped: the next one does its work.
TICK_EXPIRES_SECONDS = 10


def connect() -> None:
    from django.apps import apps

    post_migrate.connect(
        ensure_tick,
        sender=apps.get_app_config("scheduler_app"),
        dispatch_uid="scheduler_app.beat.ensure_tick",
    )


def ensure_tick(using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create or update the tick's PeriodicTask (idempotent)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = max(1, round(scripts_setting("SCHEDULER_TICK_SECONDS")))
    interval, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=every, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.using(using).update_or_create(
        name=TICK_NAME,
        defaults={
            "task": TICK_TASK,
            "interval": interval,
            "expire_seconds": TICK_EXPIRES_SECONDS,
            "enabled": True,
        },
    )
