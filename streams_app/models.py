"""Streams scripts registered, the messages kept for reconnecting clients, listeners."""

from django.db import models

from scripts_app.models import Script
from tenants.models import Tenant


class StreamRoute(models.Model):
    """A Server-Sent Events path a script registered (registerStreamRoute)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="stream_routes"
    )
    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="stream_routes"
    )
    path = models.CharField(max_length=200)
    # A handler of the script that turns the connecting request into the
    # connection's metadata; empty: the query parameters are the metadata.
    customizer = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["tenant", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "path"], name="one_stream_per_path"
            )
        ]

    def __str__(self):
        return f"stream {self.path} ({self.script.name})"


class StreamMessage(models.Model):
    """A message sent to a stream, kept so a reconnecting client can catch up.

    Its id is the SSE event id. Only the last SCRIPT_STREAM_REPLAY_MESSAGES of
    each stream are kept.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=200)
    data = models.TextField()  # the event's data, as sent (JSON or the string)
    filter = models.JSONField(default=dict, blank=True)  # {} reaches everyone
    script_name = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "path", "id"])]

    def __str__(self):
        return f"{self.path} #{self.pk}"


class Listener(models.Model):
    """A dispatcher listener: messages of `message_type` go to script.handler."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    script = models.ForeignKey(
        Script, on_delete=models.CASCADE, related_name="listeners"
    )
    message_type = models.CharField(max_length=200)
    handler = models.CharField(max_length=128)

    class Meta:
        ordering = ["tenant", "message_type", "script", "id"]
        indexes = [models.Index(fields=["tenant", "message_type"])]
        constraints = [
            models.UniqueConstraint(
                fields=["script", "message_type", "handler"],
                name="one_listener_per_handler",
            )
        ]

    def __str__(self):
        return f"{self.message_type} -> {self.script.name}.{self.handler}"
