"""Give every request an id and a tenant (R13).

Both middlewares run natively sync or async, so under ASGI Django's chain
stays async and a request costs no extra thread hops for them.
"""

import re

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.urls import set_script_prefix

from core import ids
from tenants.errors import error_response
from tenants.resolve import Resolution, directory

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(header_value):
    """Reuse a caller's X-Request-Id when it is sane, else make one."""
    if header_value and _REQUEST_ID.match(header_value):
        return header_value
    return ids.hex_id()


class DualMiddleware:
    """A middleware Django may call sync or async: it runs as its chain does."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)


class RequestIdMiddleware(DualMiddleware):
    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        request.id = request_id_from(request.headers.get("X-Request-Id"))
        response = self.get_response(request)
        response["X-Request-Id"] = request.id
        return response

    async def _acall(self, request):
        request.id = request_id_from(request.headers.get("X-Request-Id"))
        response = await self.get_response(request)
        response["X-Request-Id"] = request.id
        return response


class TenantMiddleware(DualMiddleware):
    """Find the tenant by Host, else a /t/<slug>/ prefix, else the default one."""

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        found = directory().resolve_sync(request.get_host(), request.path_info)
        return self._enter(request, found) or self.get_response(request)

    async def _acall(self, request):
        found = await directory().resolve(request.get_host(), request.path_info)
        return self._enter(request, found) or await self.get_response(request)

    @staticmethod
    def _enter(request, found: Resolution):
        """Attach the tenant to the request, or return the 404 to send."""
        if found.tenant is None:
            return error_response(request, 404, "unknown_tenant", found.problem)
        request.tenant = found.tenant
        if found.prefix:
            set_script_prefix(found.prefix)
            request.path_info = found.path
        return None
