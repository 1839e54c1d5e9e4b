"""Admin for secrets: write-only values (a password field, empty on edit) and
the hosts each may be sent to."""

from django import forms
from django.contrib import admin

from secrets_app.destinations import normalize_allowed_hosts
from secrets_app.models import Secret, validate_value
from tenants.admin import DomainsField
from tenants.admin_scope import OWNER_ONLY, TenantScopedAdmin


class HostsField(DomainsField):
    """Hosts typed one per line or separated by commas, stored as a list."""

    def validate(self, value):
        super().validate(value)
        normalize_allowed_hosts(value)


class SecretForm(forms.ModelForm):
    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        required=False,
        strip=False,
        help_text="Never shown again. Leave empty to keep the current value.",
    )
    allowed_hosts = HostsField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Hosts fetch may send this secret to, one per line: "
        "api.example.com, *.example.com (its subdomains), an IP address, or * "
        "(any host). Empty: nowhere.",
    )

    class Meta:
        model = Secret
        fields = ["tenant", "identifier", "value", "allowed_hosts"]

    def clean_allowed_hosts(self):
        return normalize_allowed_hosts(self.cleaned_data.get("allowed_hosts") or [])

    def clean_value(self):
        value = self.cleaned_data.get("value") or ""
        if not value and not self.instance.pk:
            raise forms.ValidationError("A new secret needs a value.")
        if value:
            validate_value(value)
        return value

    def save(self, commit=True):
        if self.cleaned_data.get("value"):
            self.instance.set_value(self.cleaned_data["value"])
        return super().save(commit)


@admin.register(Secret)
class SecretAdmin(TenantScopedAdmin):
    """Owners write secrets here (the REST API lets developers replace values)."""

    form = SecretForm
    write_roles = OWNER_ONLY
    list_display = ["identifier", "tenant", "host_list", "created_at", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["identifier"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="allowed hosts")
    def host_list(self, obj):
        return ", ".join(obj.allowed_hosts or []) or "none (sent nowhere)"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["tenant", "identifier", *fields] if obj else fields
