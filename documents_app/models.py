"""One JSON entity of a tenant's collection."""

from __future__ import annotations

from django.db import models

from tenants.models import Tenant


class Entity(models.Model):
    """A JSON object stored at `uri` ("/assets/pump-1") in `collection` ("assets").

    `body` is the whole entity, its "uri" member included, as clients sent it
    (after any pre-processing trigger changed it). `version` counts its writes.
    On PostgreSQL `body` is jsonb with a GIN index (jsonb_path_ops), which
    the collection's field filter (a containment query) uses.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    collection = models.CharField(max_length=100)
    uri = models.CharField(max_length=500)
    body = models.JSONField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["collection", "uri"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "uri"], name="entity_unique_uri")
        ]
        indexes = [models.Index(fields=["tenant", "collection", "uri"])]

    def __str__(self):
        return self.uri
