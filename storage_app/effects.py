"""Apply an invocation's storage writes in the shared transaction (R5).

Writes are collapsed per namespace (a clear drops what came before it; the
last write of a key wins), checked against what the invocation read (compare
and set: a changed or newly created key raises EffectConflict and the
invocation runs again), applied, and measured against the script's quota.
A conflict names the keys contended for ("storage:<namespace>:<key>"): after
a few optimistic re-runs the invocation runs holding a lock on them
(scripts_app.contention), and while another invocation holds one, writes
based on a read of that key yield to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.conf import scripts_setting
from scripts_app.contention import held_elsewhere
from scripts_app.hosting import EffectConflict, EffectRejected
from storage_app.models import (
    MAX_KEY_CHARS,
    MAX_VALUE_BYTES,
    Scope,
    StoredItem,
    namespace_of,
)
from storage_app.ops import READS
from storage_app.rows import checked_rows, update_rows

PREFIX = "storage."
DELETED = None


@dataclass
class Write:
    value: str
    ttl: float | None


@dataclass
class Plan:
    """The net effect of one invocation on one namespace."""

    scope: str
    clear: bool = False
    items: dict = field(default_factory=dict)  # key -> Write | DELETED


def apply(invocation, effects: list[dict]) -> None:
    """Apply the storage effects of a successful invocation, or raise."""
    if not effects:
        return
    plans = collapse(invocation, effects)
    now = timezone.now()
    tenant_id = invocation.tenant.id
    reads = invocation.notes.get(READS, {})
    yielded = held_elsewhere(invocation, (lock_name(*read) for read in reads))
    if yielded:
        raise EffectConflict("storage key locked by another call", yielded)
    try:
        locked = check_reads(tenant_id, reads)
        growth = [0, 0]  # bytes, keys the script's usage grows by
        for namespace, plan in plans.items():
            write(invocation, namespace, plan, now, growth, locked)
        if growth[0] > 0 or growth[1] > 0:
            check_quota(
                invocation, growth, usage(tenant_id, invocation.script_name, now)
            )
    except OperationalError as exc:
        # PostgreSQL broke a deadlock between two writers: one of them retries.
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "40P01":
            touched = {*reads, *((n, k) for n, p in plans.items() for k in p.items)}
            keys = [lock_name(*key) for key in sorted(touched)]
            raise EffectConflict("storage deadlock", keys) from exc
        raise


def lock_name(namespace: str, key: str) -> str:
    """The name of a key's contention lock (scripts_app.contention)."""
    return f"storage:{namespace}:{key}"


def collapse(invocation, effects: list[dict]) -> dict[str, Plan]:
    plans: dict[str, Plan] = {}
    for effect in effects:
        kind, data = effect.get("kind"), effect.get("data") or {}
        scope = data.get("scope")
        if scope not in Scope.values:
            raise EffectRejected(f"unknown storage scope {scope!r}")
        if scope == Scope.PERSONAL and invocation.user_id is None:
            raise EffectRejected("personalStorage needs an authenticated request")
        namespace = namespace_of(scope, invocation.script_name, invocation.user_id)
        plan = plans.setdefault(namespace, Plan(scope))
        if kind == "storage.clear":
            plan.clear, plan.items = True, {}
        elif kind == "storage.remove":
            plan.items[valid_key(data.get("key"))] = DELETED
        elif kind == "storage.set":
            plan.items[valid_key(data.get("key"))] = Write(
                valid_value(data.get("value")), valid_ttl(data.get("ttl"))
            )
        else:
            raise EffectRejected(f"unknown storage effect {kind!r}")
    return plans


def valid_key(key) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise EffectRejected(f"invalid storage key {str(key)[:40]!r}")
    return key


def valid_value(value) -> str:
    if not isinstance(value, str) or len(value.encode()) > MAX_VALUE_BYTES:
        raise EffectRejected("a storage value must be a string of at most 1 MB")
    return value


def valid_ttl(ttl) -> float | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0:
        raise EffectRejected(f"invalid storage TTL {ttl!r}")
    return float(ttl)


def check_reads(tenant_id: int, reads: dict) -> dict:
    """Raise EffectConflict if a key read has changed (or appeared) since.

    Returns the rows of the keys read, locked, by (namespace, key): a
    read-modify-write then writes them without selecting them again (with
    SQLite's one writer, every statement in the transaction holds up every
    other writer).
    """
    if not reads:
        return {}
    by_namespace: dict[str, list[str]] = {}
    for namespace, key in reads:
        by_namespace.setdefault(namespace, []).append(key)
    current = {
        (row.namespace, row.key): row for row in checked_rows(tenant_id, by_namespace)
    }
    changed = [
        read
        for read, version in reads.items()
        if getattr(current.get(read), "version", None) != version
    ]
    if changed:
        raise EffectConflict(
            f"storage key {changed[0][1]!r} changed",
            [lock_name(*read) for read in changed],
        )
    return current


def write(
    invocation, namespace: str, plan: Plan, now, growth: list, locked=None
) -> None:
    """Apply one namespace's plan; add what it adds to the script's usage to growth.

    `locked` holds rows check_reads already locked, by (namespace, key).
    """
    locked = locked or {}
    tenant_id = invocation.tenant.id
    rows = StoredItem.objects.filter(tenant_id=tenant_id, namespace=namespace)
    if plan.clear:
        rows.delete()
    deleted = [key for key, w in plan.items.items() if w is DELETED]
    if deleted and not plan.clear:
        rows.filter(key__in=deleted).delete()
    writes = {key: w for key, w in plan.items.items() if w is not DELETED}
    if plan.scope == Scope.TENANT:
        # Opportunistic purge: expired keys go whenever their namespace is written.
        rows.filter(expires_at__lte=now).exclude(key__in=writes).delete()
    if not writes:
        return
    existing = {}
    if not plan.clear:
        unread = []
        for key in writes:
            row = locked.get((namespace, key))
            if row is not None:
                existing[key] = row
            elif (namespace, key) not in reads_of(invocation):
                unread.append(key)
        if unread:
            existing.update(
                (row.key, row)
                for row in rows.select_for_update()
                .filter(key__in=unread)
                .order_by("key")
            )
    # check_reads locked the keys that existed when read; a key read as absent
    # had no row to lock, and another process may have created it since.
    reads = invocation.notes.get(READS, {})
    for key in existing:
        if (namespace, key) in reads and reads[(namespace, key)] is None:
            raise EffectConflict(
                f"storage key {key!r} created concurrently", [lock_name(namespace, key)]
            )
    changed, created = [], []
    for key, w in writes.items():
        row = existing.get(key)
        if row is None:
            row = StoredItem(
                tenant_id=tenant_id,
                namespace=namespace,
                scope=plan.scope,
                key=key,
                user_id=invocation.user_id if plan.scope == Scope.PERSONAL else None,
            )
        size = len(key.encode()) + len(w.value.encode())
        counted = (
            row.pk is not None
            and row.script_name == invocation.script_name
            and not row.expired(now)
        )
        growth[0] += size - (row.size if counted else 0)
        growth[1] += 0 if counted else 1
        row.size = size
        row.value = w.value
        row.expires_at = now + timedelta(seconds=w.ttl) if w.ttl else None
        row.version = uuid.uuid4()
        row.updated_at = now
        row.script_name = invocation.script_name
        (changed if row.pk else created).append(row)
    if changed:
        update_rows(changed)
    if created:
        try:
            with transaction.atomic():
                StoredItem.objects.bulk_create(created)
        except IntegrityError:
            # Another invocation created one of these keys meanwhile.
            raise EffectConflict(
                "storage key created concurrently",
                [lock_name(namespace, row.key) for row in created],
            ) from None


def reads_of(invocation) -> dict:
    return invocation.notes.get(READS, {})


def usage(tenant_id: int, script_name: str, now) -> tuple[int, int]:
    """Return (bytes, keys) of the live items the script owns or last wrote."""
    totals = StoredItem.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        tenant_id=tenant_id,
        script_name=script_name,
    ).aggregate(bytes=Sum("size"), keys=Count("id"))
    return totals["bytes"] or 0, totals["keys"]


def check_quota(invocation, growth: list, usage: tuple[int, int]) -> None:
    """Refuse writes that grow a script past its quota (shrinking is always fine)."""
    max_bytes = scripts_setting("STORAGE_MAX_BYTES_PER_SCRIPT")
    max_keys = scripts_setting("STORAGE_MAX_KEYS_PER_SCRIPT")
    name = invocation.script_name
    if usage[0] > max_bytes and growth[0] > 0:
        raise EffectRejected(
            f"Storage quota exceeded: script '{name}' would store {usage[0]:,} bytes "
            f"(limit {max_bytes:,}); nothing was written"
        )
    if usage[1] > max_keys and growth[1] > 0:
        raise EffectRejected(
            f"Storage quota exceeded: script '{name}' would store {usage[1]:,} keys "
            f"(limit {max_keys:,}); nothing was written"
        )
