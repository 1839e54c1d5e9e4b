"""Run a handler of a script now, from the command line (a manual run)."""

import json

from django.core.management.base import BaseCommand, CommandError

from core.conf import scripts_setting
from scripts_app.models import Script
from scripts_app.runs import RunRefused, parse_args, run_now_sync
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Run a handler of a script now and print its result and logs: "
        "run_script ID [--handler NAME] [--args JSON] [--tenant SLUG]. "
        "Exits 1 if the run failed or could not start."
    )

    def add_arguments(self, parser):
        parser.add_argument("script", help="The script's id (its name), or its number")
        parser.add_argument(
            "--handler", default=None, help="The function to run (default: main)"
        )
        parser.add_argument(
            "--args",
            dest="run_args",  # not "args": BaseCommand.handle has *args
            default="",
            help="context.args: a JSON object or array",
        )
        parser.add_argument(
            "--tenant", default=None, help="The tenant's slug (default tenant if none)"
        )

    def handle(self, *args, script, handler=None, tenant=None, **options):
        found = self._script(script, tenant)
        try:
            run_args = parse_args(options["run_args"])
            result = run_now_sync(found, handler, run_args, triggered_by="manual")
        except RunRefused as exc:
            raise CommandError(exc.message) from None
        for entry in result.logs:
            self.stdout.write(f"[{entry['level']}] {entry['message']}")
        self.stdout.write(
            f"{found.name}.{result.handler}() {result.status} in "
            f"{result.duration_ms:.1f} ms (execution {result.execution_id})"
        )
        if not result.ok:
            raise CommandError(result.error["message"])
        if result.result is not None:
            self.stdout.write(
                json.dumps(result.result, indent=2, ensure_ascii=False, default=str)
            )

    def _script(self, key: str, slug: str | None) -> Script:
        slug = slug or scripts_setting("DEFAULT_TENANT")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            known = ", ".join(Tenant.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No tenant '{slug}' (tenants: {known}).")
        scripts = Script.objects.filter(tenant=tenant).select_related("tenant")
        found = scripts.filter(name=key).first()
        if found is None and key.isdigit():
            found = scripts.filter(pk=int(key)).first()
        if found is None:
            names = ", ".join(scripts.values_list("name", flat=True)[:50]) or "none"
            raise CommandError(
                f"No script '{key}' in tenant '{slug}' (its scripts: {names})."
            )
        return found
