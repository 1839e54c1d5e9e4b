"""Re-encrypt every secret with the first configured key."""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from secrets_app.crypto import cipher
from secrets_app.models import Secret


class Command(BaseCommand):
    help = (
        "Re-encrypt all secrets with the first key of SCRIPTHOST_SECRETS_KEY; "
        "afterwards the other keys can be removed."
    )

    def handle(self, *args, **options):
        fernet = cipher()
        done = 0
        with transaction.atomic():
            for secret in Secret.objects.select_for_update().order_by("pk"):
                try:
                    token = fernet.rotate(secret.ciphertext.encode("ascii"))
                except InvalidToken as exc:
                    raise CommandError(
                        f"Secret '{secret.identifier}' of tenant {secret.tenant_id} "
                        "cannot be decrypted with any configured key; nothing was "
                        "changed."
                    ) from exc
                secret.ciphertext = token.decode("ascii")
                secret.save(update_fields=["ciphertext"])
                done += 1
        self.stdout.write(f"Re-encrypted {done} secret(s) with the first key.")
