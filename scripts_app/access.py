"""scripts_app.policy for the REST API: the door, and per-script refusals as DRF's.

Both script APIs (/system/api/scripts and the Predix /system/scripts) use
ScriptAccess instead of the tenant-role permission: someone with no role in
the tenant but a grant on one of its scripts comes in, and then sees and does
what the policy allows on each script. A script they may not view is "not
found", as if it did not exist.
"""

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission

from scripts_app import policy
from scripts_app.models import Script


class ScriptAccess(BasePermission):
    """Return True if the user has a role in request.tenant or a grant in it."""

    message = "You are not a member of this tenant."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF turns this into 401 with the authenticators' header
        return policy.may_enter(user, getattr(request, "tenant", None))


def visible_scripts(request):
    """The request tenant's scripts its user may view."""
    return policy.scripts_visible_to(request.user, request.tenant)


def find(request, name) -> Script | None:
    """The tenant's script `name` if the user may view it, else None."""
    script = (
        Script.objects.filter(tenant=request.tenant, name=name)
        .select_related("tenant", "author")
        .first()
    )
    if script is None or not policy.can(request.user, "view", script):
        return None
    return script


def script_or_404(request, name, listing: str, action: str = "view") -> Script:
    """The script to `action`; missing or unseen: 404, or 403 if the role may not."""
    script = find(request, name)
    if script is None:
        refuse_in_tenant(request, action)
        raise NotFound(f"No script '{name}' in this tenant; GET {listing} lists them.")
    return script


def refuse_in_tenant(request, action: str) -> None:
    """Refuse (403) who may `action` no script of the tenant, by role or by grant.

    So a viewer deleting a script that is not there hears that viewers may
    not delete, not that it is missing.
    """
    if action == "view":
        return
    reason = policy.why_not_in_tenant(request.user, action, request.tenant)
    if reason is not None and not _granted_anywhere(request, action):
        raise PermissionDenied(reason)


def _granted_anywhere(request, action) -> bool:
    return policy.scripts_granted(request.user, action, request.tenant).exists()


def require(request, action: str, script: Script) -> None:
    """Raise PermissionDenied with the policy's reason unless it allows `action`."""
    reason = policy.why_not(request.user, action, script)
    if reason is not None:
        raise PermissionDenied(reason)


def require_save(request, name: str) -> None:
    """Refuse an upload the user may not make: a change, or a new script here."""
    existing = Script.objects.filter(tenant=request.tenant, name=name).first()
    if existing is not None and policy.can(request.user, "view", existing):
        require(request, "change", existing)
        return
    # A new script (or one they may not even see): the role must create.
    reason = policy.why_not_in_tenant(request.user, "create", request.tenant)
    if reason is not None:
        raise PermissionDenied(reason)
