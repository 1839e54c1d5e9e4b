"""Tell every process's directories what a change of a script touched.

Each per-process directory (the route table, streams, listeners, GraphQL
operations) reloads when its own ChangeCounter moves. Saving or deleting a
script bumps the counters of the directories that hold, or held, something
of it: those its registrations feed (ScriptPlugin.script_registration_counters)
before the change or after it. A new version, a disabled script or new
capabilities all change what such a directory holds; a script that registers
no listener, before or after, leaves the listener directory alone. When what
the script held before is unknown, every counter is bumped.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.plugins import registration_counters
from scripts_app.models import Script
from tenants.models import ChangeCounter


def counters_touched(before: dict | None, after: dict | None) -> list[str]:
    """The counters of the directories registrations `before` or `after` feed."""
    counters = registration_counters()
    if before is None or after is None:
        return sorted(set(counters.values()))
    return sorted(
        {c for kind, c in counters.items() if before.get(kind) or after.get(kind)}
    )


@receiver(post_save, sender=Script)
def script_saved(sender, instance, created, **kwargs):
    before = {} if created else instance.registrations_at_load
    for name in counters_touched(before, instance.__dict__.get("registrations")):
        ChangeCounter.bump(name)
    instance.remember_registrations()


@receiver(post_delete, sender=Script)
def script_deleted(sender, instance, **kwargs):
    after = instance.__dict__.get("registrations")
    for name in counters_touched(instance.registrations_at_load, after):
        ChangeCounter.bump(name)
