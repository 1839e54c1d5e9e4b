"""Triggers and system messages in the admin."""

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from tenants.admin_scope import TenantScopedAdmin
from triggers_app import rules
from triggers_app.models import SystemMessage, Trigger


class TriggerForm(forms.ModelForm):
    """The same checks as /system/triggers (triggers_app.rules)."""

    class Meta:
        model = Trigger
        fields = [
            "tenant",
            "name",
            "on_reference_to",
            "methods",
            "script",
            "parameters",
            "order",
            "disabled",
        ]

    def clean(self):
        cleaned = super().clean()
        tenant, script = cleaned.get("tenant"), cleaned.get("script")
        if tenant is None or script is None:
            return cleaned
        if script.tenant_id != tenant.id:
            raise forms.ValidationError({"script": "The script is another tenant's."})
        try:
            rules.parse(
                tenant,
                {
                    "uri": cleaned.get("name"),
                    "onReferenceTo": cleaned.get("on_reference_to"),
                    "methods": cleaned.get("methods"),
                    "script": script.name,
                    "scriptParameters": cleaned.get("parameters"),
                    "order": cleaned.get("order", 0),
                    "disabled": cleaned.get("disabled", False),
                },
            )
        except rules.TriggerInvalid as exc:
            field = {
                "uri": "name",
                "onReferenceTo": "on_reference_to",
                "scriptParameters": "parameters",
            }.get(exc.field, exc.field)
            raise forms.ValidationError(
                {field: exc.message} if field in self.fields else exc.message
            ) from None
        return cleaned


@admin.register(Trigger)
class TriggerAdmin(TenantScopedAdmin):
    form = TriggerForm
    list_display = [
        "name",
        "on_reference_to",
        "methods",
        "script",
        "order",
        "disabled",
        "tenant",
    ]
    list_filter = [
        "tenant",
        ("script", admin.RelatedOnlyFieldListFilter),
        "disabled",
        "on_reference_to",
    ]
    search_fields = ["name", "on_reference_to", "script__name"]
    list_select_related = ["tenant", "script"]


@admin.register(SystemMessage)
class SystemMessageAdmin(TenantScopedAdmin):
    """Written by the platform; an admin may read or delete them."""

    list_display = ["created_at", "method", "url", "request_id", "tenant", "reporters"]
    list_filter = ["tenant", "method"]
    search_fields = ["url", "request_id", "scripts", "triggers"]
    list_select_related = ["tenant"]
    fields = ["tenant", "created_at", "request_id", "method", "url", "reports"]
    readonly_fields = fields

    @admin.display(description="scripts")
    def reporters(self, obj):
        return obj.scripts.strip()

    @admin.display(description="reports")
    def reports(self, obj):
        body = {
            "preProcessing": obj.pre_processing,
            "postProcessing": obj.post_processing,
        }
        return format_html("<pre>{}</pre>", json.dumps(body, indent=2))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
