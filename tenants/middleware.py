"""Give every request an id and a tenant (R13)."""

import re
import uuid

from django.urls import set_script_prefix

from tenants.errors import error_response
from tenants.resolve import directory

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(header_value):
    """Reuse a caller's X-Request-Id when it is sane, else make one."""
    if header_value and _REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_from(request.headers.get("X-Request-Id"))
        response = self.get_response(request)
        response["X-Request-Id"] = request.id
        return response


class TenantMiddleware:
    """Find the tenant by Host, else a /t/<slug>/ prefix, else the default one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = directory().resolve_sync(request.get_host(), request.path_info)
        if found.tenant is None:
            return error_response(request, 404, "unknown_tenant", found.problem)
        request.tenant = found.tenant
        if found.prefix:
            set_script_prefix(found.prefix)
            request.path_info = found.path
        return self.get_response(request)
