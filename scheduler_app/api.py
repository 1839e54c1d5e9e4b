"""/system/api/jobs: the tenant's scheduled jobs, read-only (DRF).

Jobs are written only by uploads and by the scripts' own schedulerService
calls, so the API lists them and shows one; `?script=<id>` keeps one
script's. The runs of a job are its executions: GET
/system/api/executions lists them, and each job names its last one.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.pagination import LimitOffsetPagination

from scheduler_app.models import Job
from scheduler_app.schedule import describe


class Page(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class JobSerializer(serializers.ModelSerializer):
    script = serializers.CharField(source="script.name", read_only=True)
    schedule = serializers.SerializerMethodField(
        help_text="The schedule in words: 'At 09:00 AM (Europe/Helsinki)'."
    )
    running = serializers.SerializerMethodField(
        help_text="True while a run of the job is under way."
    )

    class Meta:
        model = Job
        fields = [
            "id",
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
            "running",
            "last_run_at",
            "last_status",
            "last_execution",
            "run_count",
            "skip_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_schedule(self, job) -> str:
        return describe(job)

    def get_running(self, job) -> bool:
        return job.running_execution is not None


@extend_schema(
    parameters=[
        OpenApiParameter("script", OpenApiTypes.STR, description="Only this script id")
    ]
)
class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """The tenant's scheduled jobs, soonest due first."""

    serializer_class = JobSerializer
    pagination_class = Page

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Job.objects.none()
        jobs = Job.objects.filter(tenant=self.request.tenant).select_related("script")
        script = self.request.query_params.get("script")
        if script:
            jobs = jobs.filter(script__name=script)
        return jobs
