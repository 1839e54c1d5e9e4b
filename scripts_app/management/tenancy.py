"""The tenant a management command works in: --tenant SLUG, or the default one."""

from django.core.management.base import CommandError

from core.conf import scripts_setting
from tenants.models import Tenant


def add_tenant_argument(parser) -> None:
    parser.add_argument(
        "--tenant", default=None, help="The tenant's slug (default tenant if none)"
    )


def tenant_named(slug: str | None) -> Tenant:
    """The tenant of that slug (None: the default); CommandError naming the others."""
    slug = slug or scripts_setting("DEFAULT_TENANT")
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        known = ", ".join(Tenant.objects.values_list("slug", flat=True)) or "none"
        raise CommandError(f"No tenant '{slug}' (tenants: {known}).")
    return tenant
