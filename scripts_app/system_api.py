"""The Predix-shaped script API: /system/scripts and /system/scripts/:id."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.conf import scripts_setting
from scripts_app import access
from scripts_app.models import Script
from scripts_app.services import ScriptRejected, check_name, delete_script, save_script
from tenants.errors import error_response


class JavaScriptParser(BaseParser):
    """Accept a script body; the view reads the raw bytes itself."""

    media_type = "application/javascript"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class TextParser(JavaScriptParser):
    media_type = "text/javascript"


class PlainParser(JavaScriptParser):
    media_type = "text/plain"


SOURCE_PARSERS = [JavaScriptParser, TextParser, PlainParser]
SOURCE_TYPES = tuple(p.media_type for p in SOURCE_PARSERS)


class RouteSerializer(serializers.Serializer):
    method = serializers.CharField()
    path = serializers.CharField()
    handler = serializers.CharField()


class ScriptSummarySerializer(serializers.Serializer):
    """One script as /system/scripts lists it."""

    id = serializers.CharField(source="name")
    uri = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    enabled = serializers.BooleanField()
    execution = serializers.SerializerMethodField()
    methods = serializers.SerializerMethodField()
    chars = serializers.SerializerMethodField()
    routes = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_uri(self, script) -> str:
        return f"/system/scripts/{script.name}"

    def get_name(self, script) -> str:
        return script.header.get("name") or script.name

    def get_execution(self, script) -> str | None:
        return script.header.get("execution")

    def get_methods(self, script) -> list[str] | None:
        return script.header.get("methods")

    def get_chars(self, script) -> int:
        return len(script.source)

    @extend_schema_field(RouteSerializer(many=True))
    def get_routes(self, script) -> list[dict]:
        return RouteSerializer(script.registrations.get("routes", []), many=True).data

    def get_author(self, script) -> str | None:
        return script.author.get_username() if script.author else None


class SavedSerializer(ScriptSummarySerializer):
    message = serializers.CharField(help_text="'Script created' or 'Script updated'.")


def script_summary(script: Script) -> dict:
    return ScriptSummarySerializer(script).data


def rejected(request, exc: ScriptRejected):
    return error_response(request, exc.status, exc.code, exc.message, **exc.extra())


class ScriptList(APIView):
    """GET a JSON listing of the tenant's scripts (those the user may view)."""

    permission_classes = [access.ScriptAccess]

    @extend_schema(
        operation_id="system_scripts_list",
        responses=ScriptSummarySerializer(many=True),
    )
    def get(self, request):
        scripts = access.visible_scripts(request).select_related("author")
        return Response(ScriptSummarySerializer(scripts, many=True).data)


class ScriptDetail(APIView):
    """PUT (create or replace), GET (source) and DELETE one script."""

    parser_classes = SOURCE_PARSERS
    permission_classes = [access.ScriptAccess]

    def _script(self, request, script_id):
        return access.find(request, script_id)

    def _missing(self, request, script_id):
        return error_response(
            request,
            404,
            "not_found",
            f"No script '{script_id}' in this tenant; GET /system/scripts lists them.",
        )

    @extend_schema(
        operation_id="system_scripts_source",
        responses={
            (200, "application/javascript"): OpenApiResponse(
                OpenApiTypes.STR, description="The script's source, as uploaded."
            )
        },
    )
    def get(self, request, script_id):
        script = self._script(request, script_id)
        if script is None:
            return self._missing(request, script_id)
        response = HttpResponse(
            script.source.encode("utf-8"),
            content_type="application/javascript; charset=utf-8",
        )
        response["X-Script-Version"] = str(script.version)
        return response

    @extend_schema(
        operation_id="system_scripts_put",
        request={t: OpenApiTypes.STR for t in SOURCE_TYPES},
        responses={201: SavedSerializer, 200: SavedSerializer},
    )
    def put(self, request, script_id):
        try:
            check_name(script_id)
        except ScriptRejected as exc:
            return rejected(request, exc)
        access.require_save(request, script_id)
        limit = scripts_setting("MAX_SOURCE_BYTES")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # let the body's real size decide below
        if length > limit:
            # Refuse before reading the body into memory.
            return error_response(
                request,
                413,
                "too_large",
                f"The script is {length} bytes; the limit is {limit} bytes "
                "(SCRIPT_MAX_SOURCE_BYTES).",
            )
        if request.content_type.split(";")[0].strip().lower() not in SOURCE_TYPES:
            return error_response(
                request,
                415,
                "unsupported_media_type",
                f"Send the script's source as the body with Content-Type: "
                f"application/javascript (got '{request.content_type or 'none'}').",
            )
        try:
            # The raw body, not request.data: an empty body parses to {}.
            saved = save_script(request.tenant, script_id, request.body, request.user)
        except ScriptRejected as exc:
            return rejected(request, exc)
        body = ScriptSummarySerializer(saved.script).data
        body["message"] = "Script created" if saved.created else "Script updated"
        # The registrations refused (each registered nothing), with why.
        body["warnings"] = saved.warnings
        return Response(body, status=status.HTTP_201_CREATED if saved.created else 200)

    @extend_schema(operation_id="system_scripts_delete", responses={204: None})
    def delete(self, request, script_id):
        script = self._script(request, script_id)
        if script is None:
            access.refuse_in_tenant(request, "delete")
            return self._missing(request, script_id)
        access.require(request, "delete", script)
        delete_script(script)
        return Response(status=status.HTTP_204_NO_CONTENT)
