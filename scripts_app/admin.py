"""Admin screens: scripts (checked in V8 on save, run now), versions, logs, executions."""

import json
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdminMixin,
)

from core.plugins import capabilities
from scripts_app import live_logs, policy, runs, script_pages, script_templates
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
from scripts_app.services import (
    ScriptRejected,
    delete_script,
    prepare,
    store,
    upload_warning,
)
from tenants.admin_scope import TenantScopedAdmin, TenantScopedInline, tenant_ids
from tenants.models import role_of


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
        self.source_error = None  # {line, column, message}: the editor marks it
        if self.instance.pk and "source" not in self.changed_data:
            return data  # only flags change: nothing to check in V8
        tenant, name, source = data.get("tenant"), data.get("name"), data.get("source")
        if self.instance.pk:
            tenant, name = self.instance.tenant, self.instance.name
        if tenant and name and source is not None:
            try:
                self.prepared = prepare(tenant, name, source)
            except ScriptRejected as exc:
                # The services' messages already say where (line, column); the
                # editor gets the position as numbers too, to mark it.
                self.source_error = {
                    "line": exc.line,
                    "column": exc.column,
                    "message": exc.message,
                }
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


class RouteInline(TenantScopedInline):
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


class _GrantChoices:
    """Offer the four grants of scripts_app.policy, not "add" (no object to add to)."""

    def get_obj_perms_field_choices(self):
        labels = dict(super().get_obj_perms_field_choices())
        return [(c, labels.get(c, c)) for c in policy.GRANTS.values()]


class UserGrantsForm(_GrantChoices, AdminUserObjectPermissionsForm):
    pass


class GroupGrantsForm(_GrantChoices, AdminGroupObjectPermissionsForm):
    pass


@admin.register(Script)
class ScriptAdmin(GuardedModelAdminMixin, TenantScopedAdmin):
    """Scripts; every right here is scripts_app.policy's (roles plus object grants).

    The object-permissions page (guardian's, at <pk>/permissions/) is the
    tenant owners' ("manage"); other helpers' views ask may_run and
    has_change_permission, which ask the policy too.
    """

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
    list_filter = ["tenant", "enabled", "privileged", "example"]
    search_fields = ["name", "source"]
    readonly_fields = [
        "version",
        "example",
        "header",
        "author",
        "created_at",
        "updated_at",
    ]
    inlines = [RouteInline]

    change_form_template = "admin/scripts_app/script/change_form.html"

    # Rights: scripts_app.policy decides, per script.
    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=policy.scripts_visible_to(request.user))

    def _creatable(self, request) -> bool:
        return bool(tenant_ids(request, self.write_roles))

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        if obj is not None:
            return policy.can(request.user, "view", obj)
        return policy.scripts_visible_to(request.user).exists()

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self._creatable(request)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        if obj is not None:
            return policy.can(request.user, "change", obj)
        return self._creatable(request) or self._any_grant(request, "change")

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        if obj is not None:
            return policy.can(request.user, "delete", obj)
        return self._creatable(request) or self._any_grant(request, "delete")

    def _any_grant(self, request, action) -> bool:
        return policy.scripts_granted(request.user, action).exists()

    def get_deleted_objects(self, objs, request):
        # A script's routes, versions and runs go with it: the right to
        # delete the script (policy) covers them, whatever their own admins say.
        deleted, counts, _needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def may_manage(self, request, script) -> bool:
        """Who may grant object permissions on the script: its tenant's owners."""
        return policy.can(request.user, "manage", script)

    def _managed(self, request, object_pk):
        script = self.get_object(request, object_pk)
        if script is None or not self.may_manage(request, script):
            raise PermissionDenied
        return script

    def obj_perms_manage_view(self, request, object_pk):
        self._managed(request, object_pk)
        return super().obj_perms_manage_view(request, object_pk)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        self._managed(request, object_pk)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        self._managed(request, object_pk)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)

    def get_obj_perms_manage_user_form(self, request):
        return UserGrantsForm

    def get_obj_perms_manage_group_form(self, request):
        return GroupGrantsForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj:
            fields += ["tenant", "name"]
        if not request.user.is_superuser:
            # Platform-level APIs are the superusers' to give; capabilities
            # the tenant's owners' ("manage"), as over REST.
            fields.append("privileged")
            if obj is None or not policy.can(request.user, "manage", obj):
                fields.append("capabilities")
        return fields

    def get_urls(self):
        def page(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=name)

        extra = [
            page("<int:pk>/run/", self.run_view, "scripts_app_script_run"),
            page(
                "<int:pk>/versions/",
                partial(script_pages.versions_view, self),
                "scripts_app_script_versions",
            ),
            page(
                "<int:pk>/versions/diff/",
                partial(script_pages.diff_view, self),
                "scripts_app_script_diff",
            ),
            page(
                "<int:pk>/versions/<int:number>/rollback/",
                partial(script_pages.rollback_view, self),
                "scripts_app_script_rollback",
            ),
            # An async view of its own (admin_view wraps sync views only); it
            # checks the staff session itself (scripts_app.live_logs).
            path(
                "<int:pk>/logs/live/",
                live_logs.view_for(self),
                name="scripts_app_script_live_logs",
            ),
        ]
        return extra + super().get_urls()

    def may_run(self, request, script) -> bool:
        """Return True if the policy lets request.user execute the script."""
        return policy.can(request.user, "execute", script)

    def may_change(self, request, script) -> bool:
        """Return True if the policy lets request.user change the script."""
        return policy.can(request.user, "change", script)

    def watchable_script(self, request, pk) -> Script:
        """The script `pk` if the user may watch its logs, else Http404.

        Logs follow tenant roles (scripts_app.policy): the policy must let the
        user view the script, and the user needs a role in its tenant (an
        object grant alone does not open its logs). Any other script is not
        found: the pages about a script do not tell others it exists.
        """
        script = get_object_or_404(Script.objects.select_related("tenant"), pk=pk)
        if role_of(request.user, script.tenant) is None or not policy.can(
            request.user, "view", script
        ):
            raise Http404("No such script.")
        return script

    def change_view(self, request, object_id, form_url="", extra_context=None):
        script = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_run": script is not None and self.may_run(request, script),
            "may_manage": script is not None and self.may_manage(request, script),
        }
        if script is not None:
            extra_context.update(script_pages.around(self, request, script))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        """`?template=route` starts a new script from that template."""
        initial = super().get_changeform_initial_data(request)
        source = script_templates.source_of(request.GET.get("template", ""))
        if source is not None:
            initial["source"] = source
        return initial

    def render_change_form(self, request, context, add=False, **kwargs):
        # What the editor (templates/admin/scripts_app/script/_editor.html)
        # needs from the server: where the completions are, the compile error
        # to mark, and on the add page the templates to start from.
        form = context["adminform"].form
        context["editor_config"] = {
            "completionsUrl": static("scripthost/editor/completions.json"),
            "error": getattr(form, "source_error", None),
            "templates": script_templates.all_templates() if add else [],
        }
        context["script_templates"] = script_templates.TEMPLATES if add else ()
        return super().render_change_form(request, context, add=add, **kwargs)

    def run_view(self, request, pk):
        """Run a handler of the script now; show its value, logs and duration."""
        script = get_object_or_404(
            self.get_queryset(request).select_related("tenant"), pk=pk
        )
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
            messages.warning(request, upload_warning(warning))
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
class ScriptVersionAdmin(TenantScopedAdmin):
    list_display = ["script", "number", "author", "created_at"]
    list_filter = ["script__tenant", ("script", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["script__name"]
    fields = ["script", "number", "source_code", "author", "created_at"]
    readonly_fields = fields

    @admin.display(description="source")
    def source_code(self, obj):
        # The default read-only rendering joins lines with <br> and drops
        # the indentation: show the code as written.
        return format_html('<pre class="script-source">{}</pre>', obj.source)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(TenantScopedAdmin):
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
    list_filter = [
        "level",
        ("script", admin.RelatedOnlyFieldListFilter),
        TimeRangeFilter,
        FieldFilter,
        "tenant",
    ]
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
            model_admin.get_queryset(request)
            .exclude(ref="")
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
