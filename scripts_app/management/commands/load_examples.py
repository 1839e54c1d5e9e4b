"""Upload every examples/*.js into a tenant, keeping scripts that already exist.

They are stored as examples: an example gives way to a script that registers
a path it holds (scripts_app.services.save_script).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.conf import scripts_setting
from scripts_app.models import Script
from scripts_app.services import ScriptRejected, save_script
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Load examples/*.js as scripts (existing scripts are left alone unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default=None)
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "examples"))
        parser.add_argument(
            "--force", action="store_true", help="Replace existing scripts"
        )

    def handle(self, *args, tenant=None, dir=None, force=False, **options):
        slug = tenant or scripts_setting("DEFAULT_TENANT")
        target = Tenant.objects.filter(slug=slug).first()
        if target is None:
            raise CommandError(f"No tenant '{slug}'.")
        loaded = 0
        for path in sorted(Path(dir).glob("*.js")):
            name = path.stem
            if not force and Script.objects.filter(tenant=target, name=name).exists():
                continue
            try:
                save_script(target, name, path.read_text(), example=True)
            except ScriptRejected as exc:
                raise CommandError(f"{path.name}: {exc.message}") from None
            loaded += 1
        self.stdout.write(f"Loaded {loaded} example script(s) into tenant '{slug}'.")
