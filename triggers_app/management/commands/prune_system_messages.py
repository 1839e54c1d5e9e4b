"""manage.py prune_system_messages: apply the system messages' retention now."""

from django.core.management.base import BaseCommand

from triggers_app.messages import prune


class Command(BaseCommand):
    help = (
        "Delete system messages older than SYSTEM_MESSAGES_MAX_AGE_DAYS and each "
        "tenant's oldest past SYSTEM_MESSAGES_MAX_PER_TENANT."
    )

    def handle(self, *args, **options):
        deleted = prune()
        self.stdout.write(f"Deleted {deleted} system messages.")
