"""The Predix-shaped /system/triggers and /system/messages.

POST   /system/triggers          one trigger or an array (create or replace each)
GET    /system/triggers          the list
GET    /system/triggers/:id
PUT    /system/triggers/:id      create or replace
DELETE /system/triggers/:id
GET    /system/messages          the list (?requestId= ?method= ?script= ?since=
                                 ?limit= ?offset=)
GET    /system/messages/:id
DELETE /system/messages/:id
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from triggers_app import rules
from triggers_app.models import SystemMessage, Trigger


class TriggerRefused(APIException):
    status_code = 400

    def __init__(self, exc: rules.TriggerInvalid, where: str = ""):
        super().__init__(f"{exc.message}{where}")
        self.error_code = "invalid_trigger"
        self.error_extra = {"field": exc.field or None}


def trigger_json(trigger: Trigger) -> dict:
    return {
        "uri": trigger.uri,
        "onReferenceTo": trigger.on_reference_to,
        "methods": trigger.methods,
        "disabled": trigger.disabled,
        "script": f"/system/scripts/{trigger.script.name}",
        "scriptParameters": trigger.parameters,
        "order": trigger.order,
        "createdAt": trigger.created_at.isoformat().replace("+00:00", "Z"),
        "updatedAt": trigger.updated_at.isoformat().replace("+00:00", "Z"),
    }


def save(tenant, fields: dict) -> tuple[Trigger, bool]:
    trigger, created = Trigger.objects.select_for_update().update_or_create(
        tenant=tenant, name=fields["name"], defaults=fields
    )
    return trigger, created


def _missing(name):
    return NotFound(
        f"No trigger '{name}' in this tenant; GET /system/triggers lists them."
    )


class TriggerList(APIView):
    @extend_schema(operation_id="system_triggers_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        triggers = Trigger.objects.filter(tenant=request.tenant).select_related(
            "script"
        )
        return Response([trigger_json(t) for t in triggers])

    @extend_schema(
        operation_id="system_triggers_create",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request):
        body = request.data
        items = body if isinstance(body, list) else [body]
        if not items:
            raise ValidationError("The body is an empty array: no trigger to save.")
        parsed, seen = [], set()
        for index, item in enumerate(items):
            where = f" (trigger {index})" if isinstance(body, list) else ""
            try:
                fields = rules.parse(request.tenant, item)
            except rules.TriggerInvalid as exc:
                raise TriggerRefused(exc, where) from None
            if fields["name"] in seen:
                raise ValidationError(
                    f"Trigger '{fields['name']}' appears twice{where}."
                )
            seen.add(fields["name"])
            parsed.append(fields)
        with transaction.atomic():
            saved = [save(request.tenant, fields) for fields in parsed]
        created = any(new for _, new in saved)
        answer = [trigger_json(t) for t, _ in saved]
        return Response(
            answer if isinstance(body, list) else answer[0],
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class TriggerDetail(APIView):
    def _get(self, request, trigger_id):
        trigger = (
            Trigger.objects.filter(tenant=request.tenant, name=trigger_id)
            .select_related("script")
            .first()
        )
        if trigger is None:
            raise _missing(trigger_id)
        return trigger

    @extend_schema(operation_id="system_triggers_get", responses=OpenApiTypes.OBJECT)
    def get(self, request, trigger_id):
        return Response(trigger_json(self._get(request, trigger_id)))

    @extend_schema(
        operation_id="system_triggers_put",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def put(self, request, trigger_id):
        try:
            rules.check_name(trigger_id)
            fields = rules.parse(request.tenant, request.data, name=trigger_id)
        except rules.TriggerInvalid as exc:
            raise TriggerRefused(exc) from None
        with transaction.atomic():
            trigger, created = save(request.tenant, fields)
        return Response(
            trigger_json(trigger),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(operation_id="system_triggers_delete", responses={204: None})
    def delete(self, request, trigger_id):
        self._get(request, trigger_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _int(request, name, default, most=None):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, got '{raw[:40]}'.") from None
    if value < 0 or (most is not None and value > most):
        raise ValidationError(f"{name} must be from 0 to {most}, got {value}.")
    return value


class MessageList(APIView):
    @extend_schema(
        operation_id="system_messages_list",
        parameters=[
            OpenApiParameter("requestId", str),
            OpenApiParameter("method", str),
            OpenApiParameter("script", str, description="a script's id"),
            OpenApiParameter("trigger", str, description="a trigger's id"),
            OpenApiParameter("since", str, description="ISO 8601"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        rows = SystemMessage.objects.filter(tenant=request.tenant)
        params = request.query_params
        if params.get("requestId"):
            rows = rows.filter(request_id=params["requestId"])
        if params.get("method"):
            rows = rows.filter(method=params["method"].upper())
        if params.get("since"):
            try:
                since = datetime.fromisoformat(params["since"].replace("Z", "+00:00"))
            except ValueError:
                raise ValidationError(
                    f"since must be an ISO 8601 time, got '{params['since'][:40]}'."
                ) from None
            rows = rows.filter(created_at__gte=since)
        for key in ("script", "trigger"):
            if params.get(key):
                name = params[key].rsplit("/", 1)[-1]
                rows = rows.filter(**{f"{key}s__contains": f" {name} "})
        limit = _int(request, "limit", 100, most=1000)
        offset = _int(request, "offset", 0)
        total = rows.count()
        return Response(
            [m.as_json() for m in rows[offset : offset + limit]],
            headers={"X-Total-Count": str(total)},
        )


class MessageDetail(APIView):
    def _get(self, request, message_id):
        try:
            key = uuid.UUID(message_id)
        except ValueError:
            key = None
        message = (
            SystemMessage.objects.filter(tenant=request.tenant, id=key).first()
            if key
            else None
        )
        if message is None:
            raise NotFound(
                f"No system message '{message_id}' in this tenant; "
                "GET /system/messages lists them."
            )
        return message

    @extend_schema(operation_id="system_messages_get", responses=OpenApiTypes.OBJECT)
    def get(self, request, message_id):
        return Response(self._get(request, message_id).as_json())

    @extend_schema(operation_id="system_messages_delete", responses={204: None})
    def delete(self, request, message_id):
        self._get(request, message_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
