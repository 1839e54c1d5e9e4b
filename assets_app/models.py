"""A tenant's assets: named files whose content lives in Django's storage."""

from django.db import models

from tenants.models import Tenant


class Asset(models.Model):
    """One named file of a tenant's asset repository (shared by all its scripts).

    The bytes live in `default_storage` under `storage_key`, a fresh key per
    write, so a reader never sees a half-replaced file and the old key is
    deleted only once the new row is committed.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300)
    # Moves on every write; scripts that read then write an asset re-run on change.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="asset_name_per_tenant"
            )
        ]

    def __str__(self):
        return f"{self.tenant.slug}/{self.name}"

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    def metadata(self) -> dict:
        """The seed's listAssets entry: times in milliseconds since the epoch."""
        return {
            "name": self.name,
            "size": self.size,
            "mimetype": self.mimetype,
            "createdAt": int(self.created_at.timestamp() * 1000),
            "updatedAt": int(self.updated_at.timestamp() * 1000),
        }
