"""Upload a script file into a tenant from the command line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.conf import scripts_setting
from scripts_app.services import ScriptRejected, save_script, upload_warning
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Upload (create or replace) a script: upload_script FILE [--id ID] [--tenant SLUG]"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--id", default=None, help="Script id (default: file name)")
        parser.add_argument("--tenant", default=None)

    def handle(self, *args, file, id=None, tenant=None, **options):
        slug = tenant or scripts_setting("DEFAULT_TENANT")
        target = Tenant.objects.filter(slug=slug).first()
        if target is None:
            known = ", ".join(Tenant.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No tenant '{slug}' (tenants: {known}).")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            saved = save_script(target, id or path.stem, path.read_bytes())
        except ScriptRejected as exc:
            # The message already gives the line and column where there is one.
            raise CommandError(f"{path.name}: {exc.message}") from None
        verb = "Created" if saved.created else "Updated"
        routes = ", ".join(
            f"{r['method']} {r['path']}" for r in saved.registrations["routes"]
        )
        self.stdout.write(
            f"{verb} {saved.script.name} v{saved.script.version}"
            f"{': ' + routes if routes else ''}"
        )
        for warning in saved.warnings:
            self.stderr.write(
                f"Warning: {upload_warning(warning, 'registration refused')}"
            )
