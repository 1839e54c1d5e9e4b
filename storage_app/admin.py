"""Read-only admin screens for what scripts have stored."""

from django.contrib import admin
from django.utils import timezone

from storage_app.models import StoredItem
from tenants.admin_scope import TenantScopedAdmin


@admin.register(StoredItem)
class StoredItemAdmin(TenantScopedAdmin):
    """Items are written only by scripts; an admin may look, or delete one."""

    list_display = [
        "key",
        "scope",
        "script_name",
        "tenant",
        "user",
        "size",
        "expires_at",
        "updated_at",
    ]
    list_filter = ["scope", "tenant"]
    search_fields = ["key", "script_name", "namespace"]
    list_select_related = ["tenant", "user"]
    fields = [
        "tenant",
        "scope",
        "script_name",
        "user",
        "key",
        "value",
        "size",
        "expires_at",
        "live",
        "version",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(boolean=True, description="live (not expired)")
    def live(self, obj):
        return not obj.expired(timezone.now())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
