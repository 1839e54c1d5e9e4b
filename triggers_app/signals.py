"""Tell every process's trigger directory what changed (triggers_app.directory)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from scripts_app.models import Script
from tenants.models import ChangeCounter
from triggers_app.directory import COUNTER
from triggers_app.models import Trigger


@receiver(post_save, sender=Trigger)
@receiver(post_delete, sender=Trigger)
def trigger_changed(sender, instance, **kwargs):
    ChangeCounter.bump(COUNTER)


@receiver(post_save, sender=Script)
def script_saved(sender, instance, created, **kwargs):
    # A new version, header or state of a script with triggers changes them.
    if not created and Trigger.objects.filter(script_id=instance.id).exists():
        ChangeCounter.bump(COUNTER)
