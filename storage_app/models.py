"""Values scripts keep between calls: shared, personal and tenant-wide storage."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Tenant

# The seed's limit on one value; keys are bounded so the unique index fits.
MAX_VALUE_BYTES = 1024 * 1024
MAX_KEY_CHARS = 500


class Scope(models.TextChoices):
    SHARED = "shared", "sharedStorage"
    PERSONAL = "personal", "personalStorage"
    TENANT = "tenant", "storage (tenant-wide)"


def namespace_of(scope: str, script_name: str, user_id: int | None) -> str:
    """Return the namespace a scope means for one script and user."""
    if scope == Scope.SHARED:
        return f"shared:{script_name}"
    if scope == Scope.PERSONAL:
        return f"personal:{script_name}:{user_id}"
    return "tenant"


class StoredItem(models.Model):
    """One key and its value in one namespace of one tenant.

    Shared and personal items belong to a script by name, so they outlive a
    delete and re-upload of the script under the same id, as its data should.
    Tenant-wide items (IOTA `storage`) count against the script that last
    wrote them.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="stored_items"
    )
    namespace = models.CharField(max_length=200)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    script_name = models.CharField(
        "script", max_length=128, help_text="Owner, or last writer of a tenant item."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(max_length=MAX_KEY_CHARS)
    # Shared and personal values are the script's strings; tenant values are JSON.
    value = models.TextField()
    size = models.PositiveIntegerField(help_text="Bytes of key and value in UTF-8.")
    expires_at = models.DateTimeField(null=True, blank=True)
    # A fresh random version on every write: a key deleted and written again
    # never looks unchanged to an invocation that read it before.
    version = models.UUIDField(default=uuid.uuid4)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tenant", "namespace", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "namespace", "key"], name="one_value_per_storage_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "script_name"], name="storage_usage"),
            models.Index(
                fields=["expires_at"],
                name="storage_expiry",
                condition=models.Q(expires_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.tenant.slug}/{self.namespace}/{self.key}"

    def expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (
            now or timezone.now()
        )
