"""The jobs scripts registered: what runs when, and how its last run went."""

from django.contrib import admin

from scheduler_app.models import Job
from scheduler_app.schedule import describe
from scripts_app.admin import ViewOnlyAdmin


@admin.register(Job)
class JobAdmin(ViewOnlyAdmin):
    """Read-only: uploads and the scripts' schedulerService calls write jobs."""

    list_display = [
        "name",
        "script",
        "type",
        "schedule",
        "next_run_at",
        "last_run_at",
        "last_status",
        "enabled",
        "tenant",
    ]
    list_filter = [
        "tenant",
        ("script", admin.RelatedOnlyFieldListFilter),
        "type",
        "enabled",
        "last_status",
        "from_header",
    ]
    search_fields = ["name", "handler", "script__name", "id"]
    list_select_related = ["tenant", "script", "script__tenant"]
    ordering = ["next_run_at", "id"]
    fields = [
        "id",
        "tenant",
        "script",
        "name",
        "handler",
        "type",
        "schedule",
        "run_at",
        "interval_seconds",
        "start_at",
        "cron",
        "timezone",
        "from_header",
        "enabled",
        "next_run_at",
        "running_execution",
        "running_since",
        "running_until",
        "last_run_at",
        "last_status",
        "last_execution",
        "run_count",
        "skip_count",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="schedule")
    def schedule(self, obj):
        return describe(obj)
