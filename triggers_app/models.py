"""Predix triggers and system messages."""

from __future__ import annotations

import uuid

from django.db import models

from scripts_app.models import Script
from tenants.models import Tenant


class Trigger(models.Model):
    """Binds a Predix script to a store collection's methods, or to /custom/<name>.

    `name` is the trigger's id: its uri is /system/triggers/<name>. Triggers
    of one collection and phase run in `order`, then by name. Deleting a
    script deletes its triggers.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=128)
    on_reference_to = models.CharField(max_length=200, db_index=True)
    methods = models.JSONField(default=list)
    disabled = models.BooleanField(default=False)
    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="triggers"
    )
    parameters = models.JSONField(default=dict, blank=True)
    order = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["on_reference_to", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="trigger_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.uri} ({self.on_reference_to} -> {self.script.name})"

    @property
    def uri(self) -> str:
        return f"/system/triggers/{self.name}"


class SystemMessage(models.Model):
    """What scripts reported about one store request (Predix's system message).

    Written when a script cancels or modifies a request, throws, exceeds a
    limit or calls $.log. One message per request: `pre_processing` and
    `post_processing` each hold one report per trigger that had something to
    say: {trigger, script, timeElapsedMs, messages}.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=64, db_index=True)
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=1000)
    pre_processing = models.JSONField(default=list, blank=True)
    post_processing = models.JSONField(default=list, blank=True)
    # Reports of a custom endpoint's script (a phase of its own).
    custom = models.JSONField(default=list, blank=True)
    # The ids of the scripts and triggers that reported, " a b ", for the
    # list's ?script= and ?trigger= filters.
    scripts = models.TextField(blank=True, default=" ")
    triggers = models.TextField(blank=True, default=" ")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self):
        return f"{self.method} {self.url} ({self.request_id})"

    @property
    def uri(self) -> str:
        return f"/system/messages/{self.id}"

    def as_json(self) -> dict:
        return {
            "id": str(self.id),
            "uri": self.uri,
            "createdAt": self.created_at.isoformat().replace("+00:00", "Z"),
            "request": {"id": self.request_id, "method": self.method, "url": self.url},
            "preProcessing": self.pre_processing,
            "postProcessing": self.post_processing,
            "custom": self.custom,
        }
