"""/custom/<name>: a trigger binds a `@execution custom` script to it.

The script answers with $.setResponse({status, body}); without it, a value
the body returns is sent as JSON (200), else 204. Same authentication and
roles as the rest of the REST API (viewers may GET only).
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.parsers import JSONParser
from triggers_app.directory import TriggerInfo, triggers
from triggers_app.runtime import CUSTOM, failed, run_trigger


class CustomRefused(APIException):
    def __init__(self, error):
        super().__init__(error.message)
        self.status_code = error.status
        self.error_code = error.code
        self.wait = getattr(error, "retry_after", None)  # DRF: Retry-After


def _endpoint(tenant, name: str, method: str) -> TriggerInfo:
    found = async_to_sync(triggers().find)(tenant.id, f"/custom/{name}", method)
    for trigger in found:
        if trigger.phase == CUSTOM:
            return trigger
    every = triggers().table.get((tenant.id, f"/custom/{name}"), [])
    if every:
        allowed = sorted({m for t in every for m in t.methods})
        raise CustomRefused(
            _Error(
                405,
                "method_not_allowed",
                f"/custom/{name} answers {', '.join(allowed)}, not {method}",
            )
        )
    raise NotFound(
        f"No custom endpoint /custom/{name} in this tenant; a trigger with "
        f'"onReferenceTo": "/custom/{name}" makes one (GET /system/triggers lists them).'
    )


class _Error:
    def __init__(self, status, code, message):
        self.status, self.code, self.message = status, code, message


class CustomEndpoint(APIView):
    parser_classes = [JSONParser]
    # What a custom endpoint takes and answers is its script's business: it
    # is not part of the platform's OpenAPI schema.
    schema = None

    def _serve(self, request, name):
        method = request.method
        trigger = _endpoint(request.tenant, name, method)
        body = request.data if request.body else None
        http_request = {
            "method": method,
            "path": request.path,
            "query": {k: request.query_params.get(k) for k in request.query_params},
            "headers": {
                k.lower(): v
                for k, v in request.headers.items()
                if k.lower() not in ("authorization", "cookie")
            },
            "body": body,
        }
        result, outcome = async_to_sync(run_trigger)(
            trigger,
            CUSTOM,
            request.tenant,
            method=method,
            url=request.get_full_path(),
            request_id=getattr(request._request, "id", "") or "",
            o=body,
            http_request=http_request,
        )
        if outcome.error is not None:
            raise CustomRefused(failed(trigger, outcome.error))
        response = (result or {}).get("response")
        if response is not None:
            return Response(response["body"], status=response["status"])
        returned = (result or {}).get("returned")
        if returned is not None:
            return Response(returned)
        return Response(status=204)

    def get(self, request, name):
        return self._serve(request, name)

    def post(self, request, name):
        return self._serve(request, name)

    def put(self, request, name):
        return self._serve(request, name)

    def patch(self, request, name):
        return self._serve(request, name)

    def delete(self, request, name):
        return self._serve(request, name)
