"""Who may do what in a tenant: owners and developers write, viewers read."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.models import WRITE_ROLES, role_of


class TenantRolePermission(BasePermission):
    """Return True if the user has a role in request.tenant that allows the method."""

    message = "You have no role in this tenant that allows this."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF turns this into 401 with the authenticators' header
        role = role_of(user, getattr(request, "tenant", None))
        if role is None:
            self.message = "You are not a member of this tenant."
            return False
        if request.method in SAFE_METHODS:
            return True
        if role not in WRITE_ROLES:
            self.message = "Viewers may read but not change anything in this tenant."
            return False
        return True
