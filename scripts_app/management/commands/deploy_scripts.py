"""Make a tenant's scripts match a folder of .js files (see scripts_app.deployment)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scripts_app.deployment import DeployRefused, apply, plan
from scripts_app.management.tenancy import add_tenant_argument, tenant_named
from scripts_app.services import ScriptRejected, gave_way, planned


class Command(BaseCommand):
    help = (
        "Make a tenant's scripts match DIR: one script per .js file, its id the "
        "file name (billing/invoice.js: billing.invoice). All or nothing: a file "
        "that does not compile stores nothing. Exits 1 on any refusal."
    )

    def add_arguments(self, parser):
        parser.add_argument("dir", help="The folder of scripts")
        add_tenant_argument(parser)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every file and print the plan; change nothing",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Delete the tenant's scripts that have no file (else they are kept)",
        )

    def handle(self, *args, dir, tenant=None, dry_run=False, prune=False, **options):
        target = tenant_named(tenant)
        try:
            checked = plan(target, Path(dir), prune=prune)
        except DeployRefused as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"Nothing deployed to tenant '{target.slug}': "
                f"{len(exc.problems)} problem(s) above."
            ) from None
        for line in checked.lines():
            self.stdout.write(line)
        changes = len(checked.create) + len(checked.update) + len(checked.delete)
        if dry_run:
            self._warn(checked.warnings(), dry_run=True)
            self.stdout.write(f"Dry run: {changes} change(s) planned, none made.")
            return
        try:
            warnings = apply(target, checked)
        except ScriptRejected as exc:  # changed meanwhile; the transaction undid all
            raise CommandError(f"Nothing deployed: {exc.message}") from None
        self._warn(warnings)
        self.stdout.write(
            f"Deployed to tenant '{target.slug}': {len(checked.create)} created, "
            f"{len(checked.update)} updated, {len(checked.unchanged)} unchanged, "
            f"{len(checked.delete)} deleted, {len(checked.kept)} kept."
        )

    def _warn(self, warnings, dry_run=False):
        for name, warning in warnings:
            if gave_way(warning):
                # Nothing of this script's was refused: an example made way
                # (or would, in a dry run, which changes nothing).
                said = planned(warning) if dry_run else warning
                self.stderr.write(f"Warning: {name}: {said}")
            else:
                self.stderr.write(f"Warning: {name}: registration refused: {warning}")
