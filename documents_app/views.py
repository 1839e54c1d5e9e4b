"""REST for the document store: /store/<collection>[/<id>].

    GET    /store                       the tenant's collections, with counts
    GET    /store/assets?filter=type=pump:site=north&pageSize=50&offset=0
    GET    /store/assets/pump-1
    POST   /store/assets                one entity or an array (create or replace each)
    PUT    /store/assets/pump-1         one entity (create or replace)
    PATCH  /store/assets/pump-1         a JSON Patch (RFC 6902)
    DELETE /store/assets/pump-1

Authentication and tenant roles as the rest of the REST API (viewers read,
owners and developers write); errors in the platform's shape.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from documents_app import pipeline, store
from documents_app.models import Entity
from tenants.parsers import JSONParser


class JSONPatchParser(JSONParser):
    media_type = "application/json-patch+json"


class StoreRefused(APIException):
    """A StoreError as DRF's exception: the platform's error shape and status."""

    def __init__(self, error: store.StoreError):
        super().__init__(error.message)
        self.status_code = error.status
        self.error_code = error.code
        self.wait = error.retry_after  # DRF sends it as Retry-After


class StoreHttpResponse(Response):
    """Starts what must follow the response (post-processing) once it is sent:
    servers close a response after its last byte, the test client too."""

    after = None

    def close(self):
        super().close()
        after, self.after = self.after, None
        if after is not None:
            after()


def _int_param(request, name: str, default):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise StoreRefused(
            store.bad(f"{name} must be an integer, got '{raw[:40]}'")
        ) from None


class StoreView(APIView):
    parser_classes = [JSONParser, JSONPatchParser]

    def _handle(self, request, path, method):
        try:
            uri = store.parse_uri(path or "/")
            body = None
            if method in ("POST", "PUT", "PATCH"):
                if not request.body:
                    raise store.bad(
                        f"A {method} needs a JSON body (Content-Type: application/json)"
                    )
                body = request.data
            store_request = pipeline.StoreRequest(
                tenant=request.tenant,
                method=method,
                uri=uri,
                user=request.user,
                body=body,
                filter_text=request.query_params.get("filter", ""),
                page_size=_int_param(request, "pageSize", None),
                offset=_int_param(request, "offset", 0),
                request_id=getattr(request._request, "id", "") or "",
            )
            answer = async_to_sync(pipeline.handle)(store_request)
        except store.StoreError as exc:
            raise StoreRefused(exc) from None
        response = StoreHttpResponse(
            answer.body, status=answer.status, headers=answer.headers
        )
        response.after = answer.start_after
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter("filter", str, description="field=value[:field=value]"),
            OpenApiParameter("pageSize", int),
            OpenApiParameter("offset", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, path=None):
        if not path or path == "/":
            return Response(_collections(request.tenant))
        return self._handle(request, path, "GET")

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request, path=None):
        return self._handle(request, path, "POST")

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request, path=None):
        return self._handle(request, path, "PUT")

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def patch(self, request, path=None):
        return self._handle(request, path, "PATCH")

    @extend_schema(responses={204: None})
    def delete(self, request, path=None):
        return self._handle(request, path, "DELETE")


def _collections(tenant) -> list[dict]:
    rows = (
        Entity.objects.filter(tenant=tenant)
        .values("collection")
        .annotate(entities=Count("id"))
        .order_by("collection")
    )
    return [
        {"collection": f"/{r['collection']}", "entities": r["entities"]} for r in rows
    ]
