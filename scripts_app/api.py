"""The REST API under /system/api/: scripts, versions, logs and executions (DRF)."""

import concurrent.futures
import uuid

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    APIException,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from core.plugins import capabilities
from scripts_app import access, pending_runs, runs
from scripts_app.executions import stored_result
from scripts_app.models import (
    Execution,
    ExecutionStatus,
    LogEntry,
    Script,
    ScriptVersion,
    with_log_field,
)
from scripts_app.services import ScriptRejected, delete_script, save_script
from tenants.errors import error_body


class Rejected(APIException):
    def __init__(self, exc: ScriptRejected):
        super().__init__(exc.message)
        self.status_code = exc.status
        self.error_code = exc.code
        self.error_message = exc.message
        self.error_extra = exc.extra()


class Page(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class ScriptSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="name", read_only=True)
    routes = serializers.SerializerMethodField()
    asset_routes = serializers.SerializerMethodField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Script
        fields = [
            "id",
            "version",
            "enabled",
            "privileged",
            "capabilities",
            "header",
            "routes",
            "asset_routes",
            "source",
            "author",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_routes(self, obj) -> list[dict]:
        return obj.registrations.get("routes", [])

    def get_asset_routes(self, obj) -> list[dict]:
        return obj.registrations.get("assets", [])


class ScriptSavedSerializer(ScriptSerializer):
    """A script just uploaded, with the registrations its upload refused."""

    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Registrations that were refused, each with why: calls that "
        "failed (each returned its error to the script) and registrations the "
        "platform dropped (a reserved path, a path another script holds, an "
        "SDL that does not parse, past the limits). They registered nothing; "
        "the upload kept the others.",
    )

    class Meta(ScriptSerializer.Meta):
        fields = [*ScriptSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class ScriptWriteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=128, required=False)
    source = serializers.CharField(trim_whitespace=False, allow_blank=True)


class CapabilitiesSerializer(serializers.Serializer):
    capabilities = serializers.ListField(child=serializers.CharField())

    def get_fields(self):
        # The choices are the installed apps' (core.plugins), read per use.
        fields = super().get_fields()
        fields["capabilities"] = serializers.ListField(
            child=serializers.ChoiceField(choices=list(capabilities()))
        )
        return fields


class VersionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScriptVersion
        fields = ["number", "source", "author", "created_at"]


class LogEntrySerializer(serializers.ModelSerializer):
    script = serializers.CharField(source="script_name")

    class Meta:
        model = LogEntry
        fields = ["id", "script", "execution_id", "level", "message", "fields", "time"]


class ExecutionSerializer(serializers.ModelSerializer):
    script = serializers.CharField(source="script_name")
    result = serializers.SerializerMethodField(
        help_text="The handler's return value (manual and scheduled runs), null "
        "for none; past SCRIPT_EXECUTION_RESULT_CHARS, the cut JSON text."
    )
    result_cut = serializers.SerializerMethodField(
        help_text="True if `result` is the cut text of a longer value."
    )

    class Meta:
        model = Execution
        fields = [
            "id",
            "script",
            "version",
            "kind",
            "handler",
            "trigger",
            "triggered_by",
            "ref",
            "status",
            "result",
            "result_cut",
            "response_status",
            "duration_ms",
            "error",
            "started_at",
        ]

    @extend_schema_field(OpenApiTypes.ANY)
    def get_result(self, obj):
        return stored_result(obj.result)[0]

    def get_result_cut(self, obj) -> bool:
        return stored_result(obj.result)[1]


class RunRequestSerializer(serializers.Serializer):
    handler = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=128,
        help_text="The function to run; default main() (IOTA's one-off scripts).",
    )
    args = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="context.args of the run: a JSON object or array.",
    )
    wait = serializers.FloatField(
        required=False,
        min_value=0,
        help_text="Seconds to wait for the result before answering 202 (also a "
        "query parameter); default the manual runs' time limit.",
    )


class RunResultSerializer(serializers.Serializer):
    executionId = serializers.UUIDField()
    script = serializers.CharField()
    handler = serializers.CharField()
    status = serializers.CharField(
        help_text="ok, error, timeout or memory_limit; running in a 202."
    )
    result = serializers.JSONField(allow_null=True)
    logs = serializers.ListField(child=serializers.DictField())
    durationMs = serializers.FloatField()
    error = serializers.DictField(
        allow_null=True, help_text="{code, message, line, column, stack}"
    )


class ScriptViewSet(viewsets.ViewSet):
    """Create, read, replace and delete the tenant's scripts (scripts_app.policy)."""

    permission_classes = [access.ScriptAccess]
    lookup_field = "name"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"

    def _get(self, request, name):
        return access.script_or_404(request, name, "/system/api/scripts")

    @extend_schema(responses=ScriptSerializer(many=True))
    def list(self, request):
        scripts = access.visible_scripts(request).select_related("author")
        return Response(ScriptSerializer(scripts, many=True).data)

    @extend_schema(responses=ScriptSerializer)
    def retrieve(self, request, name=None):
        return Response(ScriptSerializer(self._get(request, name)).data)

    def _save(self, request, name, *, create):
        data = ScriptWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = name or data.validated_data.get("id")
        if not name:
            raise ValidationError({"id": ["This field is required."]})
        access.require_save(request, name)
        if create and Script.objects.filter(tenant=request.tenant, name=name).exists():
            raise Rejected(
                ScriptRejected(
                    409,
                    "script_exists",
                    f"Script '{name}' already exists; replace it with "
                    f"PUT /system/api/scripts/{name}.",
                )
            )
        try:
            saved = save_script(
                request.tenant, name, data.validated_data["source"], request.user
            )
        except ScriptRejected as exc:
            raise Rejected(exc) from None
        code = status.HTTP_201_CREATED if saved.created else status.HTTP_200_OK
        saved.script.warnings = saved.warnings
        return Response(ScriptSavedSerializer(saved.script).data, status=code)

    @extend_schema(request=ScriptWriteSerializer, responses=ScriptSavedSerializer)
    def create(self, request):
        return self._save(request, None, create=True)

    @extend_schema(request=ScriptWriteSerializer, responses=ScriptSavedSerializer)
    def update(self, request, name=None):
        return self._save(request, name, create=False)

    @extend_schema(responses={204: None})
    def destroy(self, request, name=None):
        script = access.script_or_404(
            request, name, "/system/api/scripts", action="delete"
        )
        access.require(request, "delete", script)
        delete_script(script)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=CapabilitiesSerializer, responses=CapabilitiesSerializer)
    @action(detail=True, methods=["get", "put"])
    def capabilities(self, request, name=None):
        """Read a script's capabilities; owners (and superusers) grant them."""
        script = self._get(request, name)
        if request.method == "PUT":
            if not access.policy.can(request.user, "manage", script):
                raise PermissionDenied(
                    "Only the tenant's owners grant capabilities to scripts."
                )
            data = CapabilitiesSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            # Kept in the order the apps define them, without repeats.
            wanted = set(data.validated_data["capabilities"])
            script.capabilities = [c for c in capabilities() if c in wanted]
            script.save(update_fields=["capabilities", "updated_at"])
        return Response({"capabilities": script.capabilities})

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, name=None):
        script = self._get(request, name)
        return Response(VersionSerializer(script.versions.all(), many=True).data)

    @extend_schema(
        request=RunRequestSerializer,
        parameters=[OpenApiParameter("wait", OpenApiTypes.FLOAT)],
        responses={200: RunResultSerializer, 202: RunResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def run(self, request, name=None):
        """Run a handler now: 200 with its result, or 202 if it is still running.

        Who may execute it (scripts_app.policy: owners, developers, grants).
        """
        script = access.script_or_404(
            request, name, "/system/api/scripts", action="execute"
        )
        access.require(request, "execute", script)
        data = RunRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wait = _wait_of(request, data.validated_data.get("wait"))
        try:
            manual = runs.prepare(
                script,
                data.validated_data.get("handler") or None,
                data.validated_data.get("args"),
                triggered_by="api",
                user=request.user,
            )
        except runs.RunRefused as exc:
            raise RunNotStarted(exc) from None
        future = pending_runs.start(manual)
        try:
            result = future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            # With the request's /t/<slug>/ prefix, if it came by one.
            location = reverse("execution-detail", args=[manual.execution_id])
            running = {
                "executionId": manual.execution_id,
                "script": script.name,
                "handler": manual.target.handler,
                "status": "running",
                "result": None,
                "logs": [],
                "durationMs": None,
                "error": None,
            }
            return Response(running, status=202, headers={"Location": location})
        return run_response(request, result)


class RunNotStarted(APIException):
    def __init__(self, exc: "runs.RunRefused"):
        super().__init__(exc.message)
        self.status_code = exc.status
        self.error_code = exc.code
        self.error_message = exc.message


def _wait_of(request, body_wait) -> float:
    """Seconds to wait for a run: the body's `wait`, else ?wait=, else default."""
    wait = body_wait
    if wait is None and request.query_params.get("wait") not in (None, ""):
        try:
            wait = float(request.query_params["wait"])
        except ValueError:
            wait = -1
        if not wait >= 0:  # also NaN
            raise ValidationError({"wait": ["Use a number of seconds, 0 or more."]})
    if wait is None:
        return runs.default_wait()
    return min(wait, runs.default_wait())


def run_response(request, result: "runs.RunResult") -> Response:
    """A finished run's answer: 200; 400 for a handler that is no function."""
    request_id = getattr(request, "id", None)
    if result.status == "refused":  # the tenant's cap (R9): nothing ran
        body = error_body("throttled", result.error["message"], request_id)
        return Response(body, status=429, headers={"Retry-After": "1"})
    if result.error and result.error["code"] == "handler_not_found":
        body = error_body(
            "handler_not_found",
            result.error["message"],
            request_id,
            executionId=result.execution_id,
        )
        return Response(body, status=400)
    return Response(result.as_json())


def _filtered(queryset, request, *, levels=False):
    params = request.query_params
    if params.get("script"):
        queryset = queryset.filter(script_name=params["script"])
    if not levels:
        queryset = _executions_filtered(queryset, params)
    if params.get("execution"):
        try:
            execution = uuid.UUID(params["execution"])
        except ValueError:
            raise ValidationError(
                {"execution": ["Use an execution id (a UUID)."]}
            ) from None
        queryset = queryset.filter(**{"execution_id" if levels else "id": execution})
    if levels and params.get("level"):
        queryset = queryset.filter(level=params["level"].upper())
    if levels:
        for name, value in params.items():
            if name.startswith("fields."):
                try:
                    queryset = with_log_field(queryset, name[len("fields.") :], value)
                except ValueError as exc:
                    raise ValidationError({name: [str(exc)]}) from None
    if params.get("since"):
        since = parse_datetime(params["since"])
        if since is None:
            raise ValidationError({"since": ["Use an ISO 8601 date and time."]})
        queryset = queryset.filter(
            **{"time__gte" if levels else "started_at__gte": since}
        )
    return queryset


def _executions_filtered(queryset, params):
    """Executions of one kind, status, trigger (triggered_by) or ref / job."""
    if params.get("status"):
        known = [s.value for s in ExecutionStatus]
        if params["status"] not in known:
            raise ValidationError({"status": [f"Use one of {', '.join(known)}."]})
        queryset = queryset.filter(status=params["status"])
    for name in ("kind", "triggered_by", "ref"):
        if params.get(name):
            queryset = queryset.filter(**{name: params[name]})
    if params.get("job"):
        queryset = queryset.filter(ref=f"job:{params['job']}")
    return queryset


FILTERS = [
    OpenApiParameter("script", OpenApiTypes.STR, description="Only this script id"),
    OpenApiParameter("execution", OpenApiTypes.UUID, description="Only this execution"),
    OpenApiParameter(
        "since", OpenApiTypes.DATETIME, description="Only from this time on"
    ),
]


@extend_schema(
    parameters=[
        *FILTERS,
        OpenApiParameter("level", OpenApiTypes.STR),
        OpenApiParameter(
            "fields.{name}",
            OpenApiTypes.STR,
            description="Only entries whose structured field `name` (console.log("
            "msg, {name: ...}); '.' for nested keys) has this value: JSON "
            "(42, true) or the same text as a string. Repeat for more fields.",
        ),
    ]
)
class LogViewSet(viewsets.ReadOnlyModelViewSet):
    """Console output of the tenant's scripts, newest first."""

    serializer_class = LogEntrySerializer
    pagination_class = Page

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return LogEntry.objects.none()
        return _filtered(
            LogEntry.objects.filter(tenant=self.request.tenant),
            self.request,
            levels=True,
        )


EXECUTION_FILTERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, description="http, manual, ..."),
    OpenApiParameter(
        "status", OpenApiTypes.STR, enum=[s.value for s in ExecutionStatus]
    ),
    OpenApiParameter(
        "triggered_by", OpenApiTypes.STR, description="http, api, manual, cron, event"
    ),
    OpenApiParameter(
        "ref", OpenApiTypes.STR, description="What started it: job:<uuid>, ..."
    ),
    OpenApiParameter("job", OpenApiTypes.UUID, description="Only this job's runs"),
]


@extend_schema(parameters=[*FILTERS, *EXECUTION_FILTERS])
class ExecutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Every invocation of the tenant's scripts, newest first.

    GET /system/api/executions/<id> is where a run answered with 202 is
    polled: its record once it ended, before that {"status": "running"}
    (from the process running it).
    """

    serializer_class = ExecutionSerializer
    pagination_class = Page

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Execution.objects.none()
        return _filtered(
            Execution.objects.filter(tenant=self.request.tenant), self.request
        )

    def retrieve(self, request, pk=None):
        try:
            execution_id = uuid.UUID(str(pk))
        except ValueError:
            raise NotFound(f"'{pk}' is not an execution id (a UUID).") from None
        found = Execution.objects.filter(tenant=request.tenant, id=execution_id).first()
        if found is not None:
            return Response(ExecutionSerializer(found).data)
        state = pending_runs.state_of(str(execution_id), request.tenant.id)
        if state is not None:
            return Response(_unwritten(execution_id, state))
        raise NotFound(
            f"No execution '{execution_id}' in this tenant; GET "
            "/system/api/executions lists them."
        )


def _unwritten(execution_id, state) -> dict:
    """A manual run whose record is not written yet: running, or just ended."""
    result = state.result
    return {
        "id": str(execution_id),
        "script": state.script,
        "kind": runs.KIND,
        "handler": state.handler,
        "triggered_by": state.triggered_by,
        "ref": "",
        "status": result.status if result else "running",
        "result": result.result if result else None,
        "result_cut": False,
        "duration_ms": result.duration_ms if result else None,
        "error": result.error["message"] if result and result.error else "",
        "started_at": state.started_at.isoformat().replace("+00:00", "Z"),
    }
