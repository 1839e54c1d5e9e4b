"""Admin screens: scripts (checked in V8 on save), versions, logs, executions."""

from django import forms
from django.contrib import admin, messages

from core.plugins import capabilities
from scripts_app.models import (
    Execution,
    LogEntry,
    Route,
    Script,
    ScriptVersion,
    with_log_field,
)
from scripts_app.services import ScriptRejected, delete_script, prepare, store


class SourceField(forms.CharField):
    """The source textarea; browsers submit CRLF line endings, scripts keep LF."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class ScriptForm(forms.ModelForm):
    source = SourceField(
        widget=forms.Textarea(
            attrs={
                "rows": 30,
                "cols": 100,
                "spellcheck": "false",
                "style": "font-family: monospace",
            }
        ),
        strip=False,
    )
    capabilities = forms.TypedMultipleChoiceField(
        choices=lambda: list(capabilities().items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What this script may do beyond its own code and storage.",
    )

    class Meta:
        model = Script
        fields = ["tenant", "name", "source", "enabled", "privileged", "capabilities"]

    def clean(self):
        data = super().clean()
        self.prepared = None
        if self.instance.pk and "source" not in self.changed_data:
            return data  # only flags change: nothing to check in V8
        tenant, name, source = data.get("tenant"), data.get("name"), data.get("source")
        if self.instance.pk:
            tenant, name = self.instance.tenant, self.instance.name
        if tenant and name and source is not None:
            try:
                self.prepared = prepare(tenant, name, source)
            except ScriptRejected as exc:
                # The services' messages already say where (line, column).
                raise forms.ValidationError({"source": exc.message}) from None
        return data


class RouteInline(admin.TabularInline):
    model = Route
    fields = ["method", "path", "handler", "kind", "resource"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    # Routes come from the source's registrations; they are never edited here.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    form = ScriptForm
    list_display = [
        "name",
        "tenant",
        "version",
        "enabled",
        "privileged",
        "capabilities",
        "updated_at",
    ]
    list_filter = ["tenant", "enabled", "privileged"]
    search_fields = ["name", "source"]
    readonly_fields = ["version", "header", "author", "created_at", "updated_at"]
    inlines = [RouteInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["tenant", "name"] if obj else fields

    def save_model(self, request, obj, form, change):
        if form.prepared is None:
            obj.save()  # only flags changed; the signal republishes the routes
            return
        saved = store(form.prepared, request.user)
        saved.script.enabled = obj.enabled
        saved.script.privileged = obj.privileged
        saved.script.capabilities = obj.capabilities
        saved.script.save(
            update_fields=["enabled", "privileged", "capabilities", "updated_at"]
        )
        # The admin goes on with `obj` (inlines, log entry, redirect): make it
        # the stored row.
        obj.pk = saved.script.pk
        obj.version = saved.script.version
        for warning in saved.warnings:
            messages.warning(request, f"Registration refused: {warning}")
        obj._state.adding = False
        form.instance = obj

    def delete_model(self, request, obj):
        delete_script(obj)


@admin.register(ScriptVersion)
class ScriptVersionAdmin(admin.ModelAdmin):
    list_display = ["script", "number", "author", "created_at"]
    list_filter = ["script__tenant"]
    search_fields = ["script__name"]
    readonly_fields = ["script", "number", "source", "author", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(ReadOnlyAdmin):
    """Rows only uploads and scripts write or remove; an admin may look."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Log entries; a search `user_id=42` finds those with that structured field."""

    list_display = ["time", "level", "tenant", "script_name", "short_message", "fields"]
    list_filter = ["level", "tenant"]
    search_fields = ["script_name", "message", "execution_id"]
    search_help_text = (
        "Words of the script or message, an execution id, or name=value for a "
        "structured field (user_id=42, order.id=7)."
    )
    date_hierarchy = "time"

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:120]

    def get_search_results(self, request, queryset, search_term):
        name, equals, value = search_term.strip().partition("=")
        if equals and name and " " not in name:
            try:
                return with_log_field(queryset, name, value.strip()), False
            except ValueError:
                pass  # not a field name: search the words as usual
        return super().get_search_results(request, queryset, search_term)


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "tenant",
        "script_name",
        "handler",
        "trigger",
        "status",
        "response_status",
        "duration_ms",
    ]
    list_filter = ["status", "kind", "tenant"]
    search_fields = ["script_name", "trigger", "id"]
    date_hierarchy = "started_at"
