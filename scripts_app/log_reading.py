"""The host side of console.listLogs, listLogsForUri and pruneLogs (aiwebengine).

A script reads and prunes the stored log entries of its own tenant only
(R13). Entries reach the table in batches a fraction of a second after their
invocation (scripts_app.records), so the calling invocation's own entries
are never among them.

- `console.listLogs()`: the tenant's newest entries, of every script, as a
  JSON string of `[{message, level, timestamp}]` (timestamp in milliseconds
  since the epoch), newest first, at most SCRIPTS["LOGS_LISTED_MAX"]; an
  entry with structured fields (console.log(msg, {...})) also has `fields`.
- `console.listLogsForUri(uri)`: the same for the script whose id (its uri,
  as in /system/scripts/<id>) is `uri`; "[]" when there is none.
- `console.pruneLogs()`: deletes every entry of the tenant but the newest
  SCRIPTS["LOGS_KEPT_ON_PRUNE"] of each script, at once rather than as a
  buffered effect: like logs, a prune is kept when the invocation fails, and
  running it twice does no more than once. Returns "Pruned <n> log entries".
"""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models import Count

from core.conf import scripts_setting


def _entry(row) -> dict:
    message, level, time, fields = row
    entry = {
        "message": message,
        "level": level,
        "timestamp": int(time.timestamp() * 1000),
    }
    if fields:
        entry["fields"] = fields
    return entry


def list_logs(tenant_id, script_name: str | None = None) -> str:
    """The tenant's newest log entries (of one script, if named) as JSON."""
    from scripts_app.models import LogEntry

    rows = LogEntry.objects.filter(tenant_id=tenant_id)
    if script_name is not None:
        rows = rows.filter(script_name=script_name)
    newest = rows.order_by("-time", "-id").values_list(
        "message", "level", "time", "fields"
    )[: scripts_setting("LOGS_LISTED_MAX")]
    return json.dumps([_entry(row) for row in newest])


def prune_logs(tenant_id) -> str:
    """Delete all but the newest LOGS_KEPT_ON_PRUNE entries of each script."""
    from scripts_app.models import LogEntry

    keep = scripts_setting("LOGS_KEPT_ON_PRUNE")
    pruned = 0
    with transaction.atomic():
        crowded = (
            LogEntry.objects.filter(tenant_id=tenant_id)
            .values("script_name")
            .annotate(n=Count("id"))
            .filter(n__gt=keep)
            .values_list("script_name", flat=True)
        )
        for name in list(crowded):
            rows = LogEntry.objects.filter(tenant_id=tenant_id, script_name=name)
            kept = list(
                rows.order_by("-time", "-id").values_list("id", flat=True)[:keep]
            )
            pruned += rows.exclude(id__in=kept).delete()[0]
    return f"Pruned {pruned} log {'entry' if pruned == 1 else 'entries'}"


_list_off_loop = sync_to_async(list_logs)
_prune_off_loop = sync_to_async(prune_logs)


def script_ops(invocation) -> dict:
    """The log ops of one invocation, bound to its tenant."""
    tenant_id = invocation.tenant.id

    async def listed(uri=None):
        return await _list_off_loop(tenant_id, uri)

    async def prune():
        return await _prune_off_loop(tenant_id)

    return {"logs.list": listed, "logs.prune": prune}
