"""Print a tenant's recent log entries and, with --follow, the new ones as they land.

--follow polls the database, so it sees what every process writes (a
server's workers, Celery, another manage.py). It follows entries by id: rows
are written in batches a moment after their invocation, with the time the
script logged, so a newer row can carry an older time.
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from scripts_app.management.tenancy import add_tenant_argument, tenant_named
from scripts_app.models import LogEntry, LogLevel, Script


class Command(BaseCommand):
    help = (
        "Print recent log entries of a tenant: tail_logs [--script ID] "
        "[--level WARN,ERROR] [--lines N] [--follow]. --follow keeps printing "
        "new entries until interrupted (Ctrl-C)."
    )

    def add_arguments(self, parser):
        add_tenant_argument(parser)
        parser.add_argument("--script", default=None, help="Only this script's id")
        parser.add_argument(
            "--level",
            action="append",
            default=[],
            help="Only these levels, e.g. --level WARN,ERROR (or repeat it)",
        )
        parser.add_argument(
            "--lines", "-n", type=int, default=20, help="Recent entries shown first"
        )
        parser.add_argument(
            "--follow", "-f", action="store_true", help="Keep printing new entries"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls"
        )

    def handle(self, *args, tenant=None, script=None, level=(), **options):
        target = tenant_named(tenant)
        entries = LogEntry.objects.filter(tenant=target)
        if script is not None:
            known = Script.objects.filter(tenant=target, name=script).exists()
            if not known and not entries.filter(script_name=script).exists():
                raise CommandError(
                    f"No script '{script}' in tenant '{target.slug}', "
                    "and no log entries of one."
                )
            entries = entries.filter(script_name=script)
        levels = _levels(level)
        if levels:
            entries = entries.filter(level__in=levels)
        if options["lines"] < 0 or options["interval"] <= 0:
            raise CommandError("--lines must be 0 or more and --interval above 0.")
        recent = list(entries.order_by("-time", "-id")[: options["lines"]])
        for entry in reversed(recent):
            self.stdout.write(_line(entry))
        if not options["follow"]:
            return
        last = entries.order_by("-id").values_list("id", flat=True).first() or 0
        # On stderr, so that stdout stays log lines only (for pipes).
        self.stderr.write("Following new entries; Ctrl-C stops.")
        self.stderr.flush()
        try:
            while True:
                self.stdout.flush()
                time.sleep(options["interval"])
                for entry in entries.filter(id__gt=last).order_by("id")[:1000]:
                    self.stdout.write(_line(entry))
                    last = entry.id
        except KeyboardInterrupt:
            return  # the way out of --follow: not a failure


def _levels(given) -> list[str]:
    wanted = [
        v.strip().upper() for value in given for v in value.split(",") if v.strip()
    ]
    unknown = [v for v in wanted if v not in LogLevel.values]
    if unknown:
        raise CommandError(
            f"Unknown level(s): {', '.join(unknown)} "
            f"(levels: {', '.join(LogLevel.values)})."
        )
    return wanted


def _line(entry: LogEntry) -> str:
    line = (
        f"{entry.time.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}Z [{entry.level}] "
        f"{entry.script_name}: {entry.message}"
    )
    if entry.fields:
        line += " " + json.dumps(entry.fields, ensure_ascii=False, default=str)
    return line
