"""The Predix-shaped script API: /system/scripts and /system/scripts/:id."""

from django.http import HttpResponse
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from scripts_app.conf import scripts_setting
from scripts_app.models import Script
from scripts_app.services import ScriptRejected, check_name, delete_script, save_script
from tenants.errors import error_response


class JavaScriptParser(BaseParser):
    """Hand the body over untouched; the service decodes and checks it."""

    media_type = "application/javascript"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class TextParser(JavaScriptParser):
    media_type = "text/javascript"


class PlainParser(JavaScriptParser):
    media_type = "text/plain"


def script_summary(script: Script) -> dict:
    return {
        "id": script.name,
        "uri": f"/system/scripts/{script.name}",
        "name": script.header.get("name") or script.name,
        "version": script.version,
        "enabled": script.enabled,
        "execution": script.header.get("execution"),
        "methods": script.header.get("methods"),
        "chars": len(script.source),
        "routes": [
            {"method": r["method"], "path": r["path"], "handler": r["handler"]}
            for r in script.registrations.get("routes", [])
        ],
        "author": script.author.get_username() if script.author else None,
        "createdAt": script.created_at.isoformat(),
        "updatedAt": script.updated_at.isoformat(),
    }


def rejected(request, exc: ScriptRejected):
    return error_response(request, exc.status, exc.code, exc.message, **exc.extra())


class ScriptList(APIView):
    """GET a JSON listing of the tenant's scripts."""

    def get(self, request):
        scripts = Script.objects.filter(tenant=request.tenant).select_related("author")
        return Response([script_summary(s) for s in scripts])


class ScriptDetail(APIView):
    """PUT (create or replace), GET (source) and DELETE one script."""

    parser_classes = [JavaScriptParser, TextParser, PlainParser]

    def _script(self, request, script_id):
        return Script.objects.filter(tenant=request.tenant, name=script_id).first()

    def get(self, request, script_id):
        script = self._script(request, script_id)
        if script is None:
            return error_response(
                request, 404, "not_found", f"No script '{script_id}'."
            )
        response = HttpResponse(script.source, content_type="application/javascript")
        response["X-Script-Version"] = str(script.version)
        return response

    def put(self, request, script_id):
        try:
            check_name(script_id)
        except ScriptRejected as exc:
            return rejected(request, exc)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > scripts_setting("MAX_SOURCE_BYTES"):
            return error_response(
                request,
                413,
                "too_large",
                f"The script is {length} bytes; the limit is "
                f"{scripts_setting('MAX_SOURCE_BYTES')} bytes.",
            )
        if request.content_type.split(";")[0].strip() not in (
            "application/javascript",
            "text/javascript",
            "text/plain",
        ):
            return error_response(
                request,
                415,
                "unsupported_media_type",
                "Send the script with Content-Type: application/javascript.",
            )
        try:
            saved = save_script(request.tenant, script_id, request.data, request.user)
        except ScriptRejected as exc:
            return rejected(request, exc)
        body = script_summary(saved.script)
        body["message"] = "Script created" if saved.created else "Script updated"
        return Response(body, status=status.HTTP_201_CREATED if saved.created else 200)

    def delete(self, request, script_id):
        script = self._script(request, script_id)
        if script is None:
            return error_response(
                request, 404, "not_found", f"No script '{script_id}'."
            )
        delete_script(script)
        return Response(status=status.HTTP_204_NO_CONTENT)
