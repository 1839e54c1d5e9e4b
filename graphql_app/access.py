"""Who may use the platform schema: the REST API's authentication and roles.

Requests authenticate exactly as on /system/ (/system/api/ included): DRF's
authenticators from REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] (a token,
then the admin session, which needs a CSRF token on POST). Resolvers then ask
tenants.permissions.TenantRolePermission, the class the REST API uses, whether
the user may read (any role) or write (owners and developers) in the
request's tenant.
"""

from types import SimpleNamespace

from graphql import GraphQLError
from rest_framework import exceptions
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.settings import api_settings

from tenants.permissions import TenantRolePermission

AUTHENTICATION_REQUIRED = (
    "Authentication required: send 'Authorization: Token <key>' "
    "or sign in at /system/admin/ first."
)


class _LeftToGraphene(BaseParser):
    """Leave JSON and application/graphql bodies alone: graphene reads them."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


# A session POST's CSRF check looks for csrfmiddlewaretoken in a form body,
# so forms are parsed (graphene then reads the same request.POST).
PARSERS = (FormParser, MultiPartParser, _LeftToGraphene)


def authenticate(request):
    """Return the request's user as the REST API finds it.

    Raises DRF's AuthenticationFailed for a bad token and PermissionDenied for a
    session-authenticated POST without a valid CSRF token; no credentials at
    all give the anonymous user. Read request.body first, so that graphene can
    still read it after the CSRF check has parsed a form.
    """
    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    parsers = [cls() for cls in PARSERS]
    return Request(request, parsers=parsers, authenticators=authenticators).user


def _allowed(info, *, write: bool):
    request = info.context
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise GraphQLError(
            AUTHENTICATION_REQUIRED, extensions={"code": "not_authenticated"}
        )
    tenant = getattr(request, "tenant", None)
    permission = TenantRolePermission()
    # The permission looks at the method only to tell reads from writes.
    probe = SimpleNamespace(user=user, tenant=tenant, method="POST" if write else "GET")
    if not permission.has_permission(probe, None):
        raise GraphQLError(
            str(permission.message), extensions={"code": "permission_denied"}
        )
    return tenant, user


def readable_tenant(info):
    """Return the request's tenant if its user may read it; else raise."""
    tenant, _ = _allowed(info, write=False)
    return tenant


def writable_tenant(info):
    """Return (tenant, user) if the user may change the tenant; else raise."""
    return _allowed(info, write=True)


def script_tenant(info):
    """Return (tenant, user) if the user may reach the tenant's scripts; else raise.

    scripts_app.policy decides: a role in the tenant, or a grant on one of its
    scripts. What the user may do on each script is then asked with `allow`.
    """
    from scripts_app import policy

    request = info.context
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise GraphQLError(
            AUTHENTICATION_REQUIRED, extensions={"code": "not_authenticated"}
        )
    tenant = getattr(request, "tenant", None)
    if not policy.may_enter(user, tenant):
        raise GraphQLError(
            "You are not a member of this tenant.",
            extensions={"code": "permission_denied"},
        )
    return tenant, user


def allow(user, action: str, script) -> None:
    """Raise a permission_denied GraphQLError unless the policy allows `action`."""
    from scripts_app import policy

    reason = policy.why_not(user, action, script)
    if reason is not None:
        raise GraphQLError(reason, extensions={"code": "permission_denied"})


def allow_in_tenant(user, action: str, tenant) -> None:
    """Raise unless the user's role allows `action` on every script of the tenant."""
    from scripts_app import policy

    reason = policy.why_not_in_tenant(user, action, tenant)
    if reason is not None:
        raise GraphQLError(reason, extensions={"code": "permission_denied"})


def refusal(request, exc: exceptions.APIException) -> tuple[int, dict, dict]:
    """Describe a failed authentication as (status, GraphQL body, headers).

    The message and code are the REST API's (tenants.errors), so a bad token or
    a missing CSRF token reads the same on /graphql as on /system/api/.
    """
    from tenants.errors import api_exception_handler

    response = api_exception_handler(exc, {"request": request})
    error = response.data["error"]
    headers = {}
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        status = 401
        headers["WWW-Authenticate"] = "Token"
    else:
        status = response.status_code
    body = {
        "errors": [
            {
                "message": error["message"],
                "extensions": {"code": error["code"], "requestId": error["requestId"]},
            }
        ]
    }
    return status, body, headers
