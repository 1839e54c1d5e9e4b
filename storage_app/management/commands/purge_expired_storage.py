"""Delete storage items whose TTL has passed (run it from cron, e.g. hourly)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from storage_app.models import StoredItem


class Command(BaseCommand):
    help = (
        "Delete expired storage items in every tenant. Scripts never see them "
        "(an expired key reads as null); this reclaims their space."
    )

    def handle(self, *args, **options):
        deleted, _ = StoredItem.objects.filter(expires_at__lte=timezone.now()).delete()
        self.stdout.write(f"Purged {deleted} expired storage item(s)")
