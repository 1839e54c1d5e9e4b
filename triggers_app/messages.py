"""Writing system messages, and keeping them from growing without bound.

A message gathers what scripts reported about one store request: `report`
adds one trigger's report to its phase ("preProcessing" or
"postProcessing"), creating the request's message on first use. Retention:
SCRIPTS["SYSTEM_MESSAGES_MAX_AGE_DAYS"] and
SCRIPTS["SYSTEM_MESSAGES_MAX_PER_TENANT"]; `prune` applies both, and runs
after every PRUNE_EVERY reports (and from `manage.py prune_system_messages`).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.conf import scripts_setting
from triggers_app.models import SystemMessage

PHASES = {
    "preProcessing": "pre_processing",
    "postProcessing": "post_processing",
    "custom": "custom",
}
PRUNE_EVERY = 200
_reports = itertools.count(1)
MAX_MESSAGES_PER_REPORT = 100
MAX_MESSAGE_CHARS = 4096


def report(tenant, request_id: str, method: str, url: str, phase: str, entry: dict):
    """Add one trigger's report {trigger, script, timeElapsedMs, messages} to the
    request's system message; return the message."""
    column = PHASES[phase]
    entry = {
        **entry,
        "messages": [str(m)[:MAX_MESSAGE_CHARS] for m in entry.get("messages", [])][
            :MAX_MESSAGES_PER_REPORT
        ],
    }
    with transaction.atomic():
        message = (
            SystemMessage.objects.select_for_update()
            .filter(tenant=tenant, request_id=request_id)
            .first()
        )
        if message is None:
            message = SystemMessage(
                tenant=tenant, request_id=request_id, method=method, url=url[:1000]
            )
        getattr(message, column).append(entry)
        for field, key, prefix in (
            ("scripts", "script", "/system/scripts/"),
            ("triggers", "trigger", "/system/triggers/"),
        ):
            name = str(entry.get(key) or "").removeprefix(prefix)
            if name and f" {name} " not in getattr(message, field):
                setattr(message, field, f"{getattr(message, field)}{name} ")
        message.save()
    if next(_reports) % PRUNE_EVERY == 0:
        prune()
    return message


def prune(now=None) -> int:
    """Delete messages past the age limit and each tenant's oldest past its cap."""
    now = now or timezone.now()
    deleted = 0
    days = scripts_setting("SYSTEM_MESSAGES_MAX_AGE_DAYS")
    if days:
        deleted += SystemMessage.objects.filter(
            created_at__lt=now - timedelta(days=days)
        ).delete()[0]
    cap = scripts_setting("SYSTEM_MESSAGES_MAX_PER_TENANT")
    if cap:
        tenants = SystemMessage.objects.values_list("tenant_id", flat=True).distinct()
        for tenant_id in list(tenants):
            rows = SystemMessage.objects.filter(tenant_id=tenant_id)
            cutoff = rows.order_by("-created_at").values_list("created_at", flat=True)[
                cap : cap + 1
            ]
            if cutoff:
                deleted += rows.filter(created_at__lte=cutoff[0]).delete()[0]
    return deleted
