"""Admin screens: scripts (checked in V8 on save, run now), versions, logs, executions."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.plugins import capabilities
from scripts_app import runs
from scripts_app.dashboard import dashboard_view
from scripts_app.log_search import FieldFilter, TimeRangeFilter
from scripts_app.models import (
    Execution,
    LogEntry,
    Route,
    Script,
    ScriptVersion,
    with_log_field,
)
from scripts_app.services import ScriptRejected, delete_script, prepare, store
from tenants.models import WRITE_ROLES, role_of


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


class RunForm(forms.Form):
    """What the "Run now" page asks: the handler and its JSON args."""

    handler = forms.CharField(
        max_length=128,
        required=False,
        help_text="One of the script's functions, or any name; empty runs main().",
    )
    args = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "cols": 80,
                "spellcheck": "false",
                "style": "font-family: monospace",
            }
        ),
        help_text='context.args: a JSON object or array, e.g. {"name": "Ann"}.',
    )

    def clean_args(self):
        try:
            return runs.parse_args(self.cleaned_data["args"])
        except runs.RunRefused as exc:
            raise forms.ValidationError(exc.message) from None


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

    change_form_template = "admin/scripts_app/script/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["tenant", "name"] if obj else fields

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/run/",
                self.admin_site.admin_view(self.run_view),
                name="scripts_app_script_run",
            )
        ]
        return extra + super().get_urls()

    def may_run(self, request, script) -> bool:
        """Who may change the script and writes in its tenant may run it."""
        if not self.has_change_permission(request, script):
            return False
        return role_of(request.user, script.tenant) in WRITE_ROLES

    def change_view(self, request, object_id, form_url="", extra_context=None):
        script = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_run": script is not None and self.may_run(request, script),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def run_view(self, request, pk):
        """Run a handler of the script now; show its value, logs and duration."""
        script = get_object_or_404(Script.objects.select_related("tenant"), pk=pk)
        if not self.may_run(request, script):
            raise PermissionDenied
        result = refused = None
        if request.method == "POST":
            form = RunForm(request.POST)
            if form.is_valid():
                try:
                    result = runs.run_now_sync(
                        script,
                        form.cleaned_data["handler"] or None,
                        form.cleaned_data["args"],
                        triggered_by="manual",
                        user=request.user,
                    )
                except runs.RunRefused as exc:
                    refused = exc.message
        else:
            form = RunForm()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Run {script.name}",
            "opts": self.model._meta,
            "original": script,
            "script": script,
            "form": form,
            "functions": runs.script_functions(script.source),
            "result": result,
            "refused": refused,
            "value": _shown(result.result) if result else "",
            "execution_url": reverse(
                "admin:scripts_app_execution_change", args=[result.execution_id]
            )
            if result
            else "",
        }
        return TemplateResponse(request, "admin/scripts_app/script/run.html", context)

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


def _shown(value) -> str:
    """A return value as the run page shows it: indented JSON; undefined: ""."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


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
    list_filter = ["level", TimeRangeFilter, FieldFilter, "tenant"]
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


class RefFilter(admin.SimpleListFilter):
    """What started a run: none (a request, a message) or an object's kind (job)."""

    title = "started by"
    parameter_name = "ref"

    def lookups(self, request, model_admin):
        kinds = (
            Execution.objects.exclude(ref="")
            .values_list("ref", flat=True)
            .order_by()
            .distinct()[:1000]
        )
        found = sorted({ref.split(":", 1)[0] for ref in kinds})
        return [("-", "nothing")] + [(f"{k}:", f"a {k}") for k in found]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "-":
            return queryset.filter(ref="")
        if value.endswith(":"):
            return queryset.filter(ref__startswith=value)
        return queryset.filter(ref=value)  # one object's runs: ?ref=job:<uuid>


@admin.register(Execution)
class ExecutionAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "tenant",
        "script_name",
        "handler",
        "trigger",
        "triggered_by",
        "ref",
        "status",
        "response_status",
        "duration_ms",
        "short_result",
    ]
    list_filter = [
        "status",
        "kind",
        "triggered_by",
        RefFilter,
        ("script", admin.RelatedOnlyFieldListFilter),
        "tenant",
    ]
    search_fields = ["script_name", "trigger", "id", "ref"]
    date_hierarchy = "started_at"

    def get_urls(self):
        dashboard = path(
            "dashboard/",
            self.admin_site.admin_view(lambda request: dashboard_view(self, request)),
            name="scripts_app_dashboard",
        )
        return [dashboard, *super().get_urls()]

    @admin.display(description="result")
    def short_result(self, obj):
        return obj.result[:120]
