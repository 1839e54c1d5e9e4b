"""Print a tenant's scripts as a table: id, version, enabled, routes, updated."""

from django.core.management.base import BaseCommand
from django.db.models import Count

from scripts_app.management.tenancy import add_tenant_argument, tenant_named
from scripts_app.models import Script

COLUMNS = ("id", "version", "enabled", "routes", "updated")


class Command(BaseCommand):
    help = "List a tenant's scripts: id, version, enabled, routes count, updated."

    def add_arguments(self, parser):
        add_tenant_argument(parser)

    def handle(self, *args, tenant=None, **options):
        target = tenant_named(tenant)
        scripts = (
            Script.objects.filter(tenant=target)
            .annotate(route_count=Count("routes"))
            .order_by("name")
        )
        rows = [
            (
                s.name,
                str(s.version),
                "yes" if s.enabled else "no",
                str(s.route_count),
                s.updated_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            )
            for s in scripts
        ]
        if not rows:
            self.stdout.write(f"Tenant '{target.slug}' has no scripts.")
            return
        widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(5)]
        for row in [COLUMNS, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
