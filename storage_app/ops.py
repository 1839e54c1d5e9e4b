"""The host side of storage reads: look a key up and note the version read (R5).

Every read records the version it saw (None for an absent key) in the
invocation's notes, so effects.apply can refuse to write over a value that
changed since: the invocation is then run again and reads the new one.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.utils import timezone

from engine import HostError
from storage_app.models import Scope, StoredItem, namespace_of

READS = "storage.reads"  # invocation.notes key: {(namespace, key): version | None}


def namespace_for(invocation, scope) -> str | None:
    """Return the namespace of `scope` for this invocation; None means no access."""
    if scope not in Scope.values:
        raise HostError(f"unknown storage scope {scope!r}", "TypeError")
    if scope == Scope.PERSONAL and invocation.user_id is None:
        return None
    return namespace_of(scope, invocation.script_name, invocation.user_id)


def read(invocation, scope, key) -> str | None:
    """Return the live value of `key`, or None; remember the version seen."""
    namespace = namespace_for(invocation, scope)
    if namespace is None:
        return None
    if not isinstance(key, str) or not key:
        raise HostError("storage key must be a non-empty string", "TypeError")
    row = (
        StoredItem.objects.filter(
            tenant_id=invocation.tenant.id, namespace=namespace, key=key
        )
        .values_list("value", "version", "expires_at")
        .first()
    )
    reads = invocation.notes.setdefault(READS, {})
    # The first read counts: anything later is checked against what the
    # script based its work on.
    reads.setdefault((namespace, key), row[1] if row else None)
    if row is None or (row[2] is not None and row[2] <= timezone.now()):
        return None
    return row[0]


def script_ops(invocation) -> dict:
    """Return the storage ops bound to one invocation."""

    async def get(scope, key):
        return await sync_to_async(read)(invocation, scope, key)

    async def has(scope, key):
        return await sync_to_async(read)(invocation, scope, key) is not None

    return {"storage.get": get, "storage.has": has}
