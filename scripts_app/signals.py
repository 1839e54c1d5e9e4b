"""Tell every process's route cache when scripts or routes change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from scripts_app.models import Script
from tenants.models import ChangeCounter


@receiver(post_save, sender=Script)
@receiver(post_delete, sender=Script)
def routes_changed(sender, **kwargs):
    ChangeCounter.bump("routes")
