"""The tenant dashboard in the admin: the charts of all of a tenant's runs.

/system/admin/scripts_app/execution/dashboard/?tenant=<slug>. Who may see
the executions list and has a role in the tenant (superusers have one in
every tenant) sees it; anyone else gets a 404, so tenants do not learn of
each other.
"""

from django.http import Http404
from django.template.response import TemplateResponse

from scripts_app import charts
from scripts_app.models import Execution
from scripts_app.templatetags.execution_charts import chart_context
from tenants.models import Membership, Tenant, role_of


def visible_tenants(user):
    """The tenants whose dashboard the user may open."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(
        pk__in=Membership.objects.filter(user=user).values("tenant_id")
    )


def dashboard_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise Http404
    tenants = visible_tenants(request.user).order_by("slug")
    slug = request.GET.get("tenant")
    tenant = tenants.filter(slug=slug).first() if slug else tenants.first()
    if tenant is None or role_of(request.user, tenant) is None:
        raise Http404("No such tenant.")
    stats = charts.tenant_stats(tenant)
    scripts = (
        Execution.objects.filter(tenant=tenant, started_at__gte=stats.start)
        .values("script_name")
        .order_by()
        .distinct()
        .count()
    )
    context = {
        **model_admin.admin_site.each_context(request),
        **chart_context(stats),
        "title": f"Dashboard of tenant {tenant.slug}",
        "opts": model_admin.model._meta,
        "tenant": tenant,
        "tenants": tenants,
        "script_count": scripts,
    }
    return TemplateResponse(request, "admin/scripts_app/dashboard.html", context)
