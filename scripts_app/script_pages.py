"""The admin pages around a script: its links, versions, a diff of two, rollback.

Views of ScriptAdmin (scripts_app.admin), each given the model admin first:
it says who may look (watchable_script) and who may change (may_change).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core import plugins
from scripts_app import runs
from scripts_app.models import LogLevel, ScriptVersion
from scripts_app.script_links import filtered_changelist
from scripts_app.services import ScriptRejected, upload_warning
from scripts_app.versions import rollback, side_by_side


def links(script) -> list[tuple[str, str]]:
    """(label, url) of everything about `script`: the core's, then the apps'."""
    return [
        ("Versions", reverse("admin:scripts_app_script_versions", args=[script.pk])),
        filtered_changelist("Executions", "scripts_app.Execution", script),
        filtered_changelist("Logs", "scripts_app.LogEntry", script),
        # Routes come from the source and are listed on the script's own page.
        (
            "Routes",
            reverse("admin:scripts_app_script_change", args=[script.pk])
            + "#routes-group",
        ),
        *plugins.admin_links(script),
    ]


def around(model_admin, request, script) -> dict:
    """The script page's context for its links, run panel and live-log panel."""
    return {
        "around_links": links(script),
        "run_functions": runs.script_functions(script.source),
        "live_logs_url": reverse(
            "admin:scripts_app_script_live_logs", args=[script.pk]
        ),
        "log_levels": LogLevel.values,
    }


def _page(model_admin, request, script, title: str, **context) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "original": script,
        "script": script,
        **context,
    }


def versions_view(model_admin, request, pk):
    """Every version of the script, newest first, to compare or roll back to."""
    script = model_admin.watchable_script(request, pk)
    versions = list(script.versions.select_related("author").order_by("-number"))
    for version in versions:
        version.lines = len(version.source.splitlines())
    context = _page(
        model_admin,
        request,
        script,
        f"Versions of {script.name}",
        versions=versions,
        may_change=model_admin.may_change(request, script),
        newer=versions[0].number if versions else None,
        older=versions[1].number if len(versions) > 1 else None,
    )
    return TemplateResponse(request, "admin/scripts_app/script/versions.html", context)


def diff_view(model_admin, request, pk):
    """Versions ?a= (left) and ?b= (right) of the script, side by side."""
    script = model_admin.watchable_script(request, pk)
    numbers = list(script.versions.values_list("number", flat=True))
    try:
        a = int(request.GET.get("a") or script.version - 1)
        b = int(request.GET.get("b") or script.version)
    except ValueError:
        raise Http404("Versions are numbers: ?a=1&b=2.") from None
    found = {
        v.number: v
        for v in script.versions.filter(number__in=[a, b]).select_related("author")
    }
    if a not in found or b not in found:
        missing = a if a not in found else b
        raise Http404(f"{script.name} has no version {missing}.")
    rows = side_by_side(found[a].source, found[b].source)
    context = _page(
        model_admin,
        request,
        script,
        f"{script.name}: version {a} against version {b}",
        left=found[a],
        right=found[b],
        rows=rows,
        numbers=sorted(numbers, reverse=True),
        may_change=model_admin.may_change(request, script),
    )
    return TemplateResponse(request, "admin/scripts_app/script/diff.html", context)


def rollback_view(model_admin, request, pk, number):
    """POST: store version `number`'s source as the script's newest version."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    script = model_admin.watchable_script(request, pk)
    if not model_admin.may_change(request, script):
        raise PermissionDenied
    try:
        saved = rollback(script, number, request.user)
    except ScriptVersion.DoesNotExist:
        raise Http404(f"{script.name} has no version {number}.") from None
    except ScriptRejected as exc:
        messages.error(request, f"Version {number} was not restored: {exc.message}")
        return HttpResponseRedirect(
            reverse("admin:scripts_app_script_versions", args=[script.pk])
        )
    messages.success(
        request,
        f"Rolled back to version {number}: it is now version {saved.script.version}.",
    )
    for warning in saved.warnings:
        messages.warning(request, upload_warning(warning))
    return HttpResponseRedirect(
        reverse("admin:scripts_app_script_change", args=[script.pk])
    )
