"""Write a tenant's scripts to a folder that deploy_scripts reads back unchanged."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scripts_app.deployment import export
from scripts_app.management.tenancy import add_tenant_argument, tenant_named


class Command(BaseCommand):
    help = "Write every script of a tenant to DIR as <id>.js (DIR is created)."

    def add_arguments(self, parser):
        parser.add_argument("dir", help="The folder to write (created if missing)")
        add_tenant_argument(parser)

    def handle(self, *args, dir, tenant=None, **options):
        target = tenant_named(tenant)
        root = Path(dir)
        if root.exists() and not root.is_dir():
            raise CommandError(f"Not a folder: {dir}")
        try:
            written = export(target, root)
        except OSError as exc:
            raise CommandError(f"Cannot write to {dir}: {exc.strerror}") from None
        self.stdout.write(
            f"Exported {len(written)} script(s) of tenant '{target.slug}' to {root}."
        )
