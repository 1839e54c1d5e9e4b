"""Admin screens for tenants (with their domains and members) and memberships."""

import re

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from tenants.admin_scope import OWNER_ONLY, TenantScopedAdmin, TenantScopedInline
from tenants.models import Membership, Tenant


class DomainsField(forms.CharField):
    """Host names typed one per line or separated by commas, stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [d for d in re.split(r"[\s,]+", text) if d]


class TenantForm(forms.ModelForm):
    domains = DomainsField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Host names that select this tenant, one per line "
        "(e.g. acme.example.com); no scheme, port or path.",
    )

    class Meta:
        model = Tenant
        fields = ["slug", "name", "domains", "graphql_public"]


class MembershipInline(TenantScopedInline):
    model = Membership
    write_roles = OWNER_ONLY
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """Members see their tenants; owners edit them; only superusers add or delete."""

    form = TenantForm
    write_roles = OWNER_ONLY
    list_display = ["slug", "name", "domain_list", "created_at", "dashboard"]
    search_fields = ["slug", "name", "domains"]
    inlines = [MembershipInline]

    @admin.display(description="domains")
    def domain_list(self, obj):
        return ", ".join(obj.domains or []) or "—"

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="runs")
    def dashboard(self, obj):
        """A link to the tenant's charts (scripts_app.dashboard)."""
        url = (
            reverse("admin:scripts_app_dashboard")
            + "?"
            + urlencode({"tenant": obj.slug})
        )
        return format_html('<a href="{}">dashboard</a>', url)


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    write_roles = OWNER_ONLY
    list_display = ["user", "tenant", "role"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]
