"""The platform's one error shape: {"error": {"code", "message", "requestId"}} (R11)."""

from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


def error_body(code, message, request_id, **extra):
    error = {"code": code, "message": message, "requestId": request_id}
    error.update({k: v for k, v in extra.items() if v is not None})
    return {"error": error}


def error_response(request, status_code, code, message, headers=None, **extra):
    request_id = getattr(request, "id", None)
    response = JsonResponse(
        error_body(code, message, request_id, **extra), status=status_code
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _flatten(detail):
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(v) for v in detail)
    return str(detail)


_CSRF_FAILED = "CSRF Failed"  # how DRF's SessionAuthentication words it


def api_exception_handler(exc, context):
    """Render DRF errors in the platform's error shape."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    code = getattr(exc, "error_code", None) or _CODES.get(response.status_code, "error")
    extra = getattr(exc, "error_extra", {}) or {}
    if isinstance(exc, exceptions.ValidationError):
        extra = (
            {**extra, "fields": exc.detail} if isinstance(exc.detail, dict) else extra
        )
    data = response.data
    detail = data.get("detail", data) if isinstance(data, dict) else data
    message = getattr(exc, "error_message", None) or _flatten(detail)
    if isinstance(exc, exceptions.PermissionDenied) and message.startswith(
        _CSRF_FAILED
    ):
        code = "csrf_failed"
        reason = message.removeprefix(_CSRF_FAILED).lstrip(":").strip()
        message = (
            f"CSRF check failed for a session-authenticated request ({reason}). "
            "Send the csrftoken cookie's value in an X-CSRFToken header, "
            "or authenticate with 'Authorization: Token <key>' instead."
        )
    response.data = error_body(code, message, getattr(request, "id", None), **extra)
    return response
