"""Admin for secrets: write-only values (a password field, empty on edit)."""

from django import forms
from django.contrib import admin

from secrets_app.models import Secret, validate_value


class SecretForm(forms.ModelForm):
    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        required=False,
        strip=False,
        help_text="Never shown again. Leave empty to keep the current value.",
    )

    class Meta:
        model = Secret
        fields = ["tenant", "identifier", "value"]

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
class SecretAdmin(admin.ModelAdmin):
    form = SecretForm
    list_display = ["identifier", "tenant", "created_at", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["identifier"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return ["tenant", "identifier", *fields] if obj else fields
