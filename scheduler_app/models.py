"""A script's scheduled job: one-off, recurring or cron, persisted across restarts."""

from __future__ import annotations

import uuid

from django.db import models

from scripts_app.models import Script
from tenants.models import Tenant


class JobType(models.TextChoices):
    ONE_OFF = "one-off"
    RECURRING = "recurring"
    CRON = "cron"


class Job(models.Model):
    """What a script's schedulerService registered (or its @cron header declares).

    `next_run_at` is when it is next due (None: never again, a one-off that
    ran). A run is claimed by moving next_run_at on in a transaction that
    locks the due row, and started with a conditional update of its running
    execution, so a due run is started once however many beats or workers
    look at it (scheduler_app.runner);
    `running_execution`/`running_until` say a run is going and until when its
    claim holds (its time limit plus a margin), so an overlapping run is
    skipped and a run whose worker died is found and recorded as lost.
    """

    # context.meta.schedule.jobId: "UUID assigned by the scheduler" (the seed).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="jobs")
    name = models.CharField(max_length=128)
    handler = models.CharField(max_length=128)
    type = models.CharField(max_length=16, choices=JobType.choices)
    # one-off: run_at; recurring: interval_seconds from start_at; cron: cron + timezone.
    run_at = models.DateTimeField(null=True, blank=True)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    start_at = models.DateTimeField(null=True, blank=True)
    cron = models.CharField(max_length=120, blank=True)
    timezone = models.CharField(max_length=64, blank=True, default="UTC")
    # Declared by the script's header (@cron) rather than by a call in init().
    from_header = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)

    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    running_execution = models.UUIDField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    running_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=16, blank=True)
    last_execution = models.UUIDField(null=True, blank=True)
    run_count = models.PositiveIntegerField(default=0)
    skip_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_run_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["script", "name"], name="job_unique_name")
        ]
        indexes = [models.Index(fields=["enabled", "next_run_at"])]

    def __str__(self):
        return f"{self.script.name}: {self.name} ({self.type})"

    @property
    def ref(self) -> str:
        """Its runs' Execution.ref ("job:<uuid>")."""
        return f"job:{self.id}"
