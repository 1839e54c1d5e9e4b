"""The host side of storage reads: look a key up and note the version read (R5).

Every read records the version it saw (None for an absent key) in the
invocation's notes, so effects.apply can refuse to write over a value that
changed since: the invocation is then run again and reads the new one. The
value read is kept too: reading the key again in the same invocation answers
at once, without the database (what the invocation based its work on stays
what it sees; its own writes are overlaid on the JS side).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.utils import timezone

from engine import HostError
from storage_app.models import Scope, namespace_of
from storage_app.rows import read_row

READS = "storage.reads"  # invocation.notes key: {(namespace, key): version | None}
VALUES = "storage.values"  # invocation.notes key: {(namespace, key): live value}
NAMESPACES = "storage.namespaces"  # invocation.notes key: {scope: namespace}
# Read once: Django's Choices.values rebuilds its list on every access.
SCOPES = frozenset(Scope.values)


def namespace_for(invocation, scope) -> str | None:
    """Return the namespace of `scope` for this invocation; None means no access."""
    if scope not in SCOPES:
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
    row = read_row(invocation.tenant.id, namespace, key)
    reads = invocation.notes.setdefault(READS, {})
    # The first read counts: anything later is checked against what the
    # script based its work on.
    reads.setdefault((namespace, key), row[1] if row else None)
    value = None
    if row is not None and (row[2] is None or row[2] > timezone.now()):
        value = row[0]
    invocation.notes.setdefault(VALUES, {}).setdefault((namespace, key), value)
    return invocation.notes[VALUES][(namespace, key)]


def cached(invocation, scope, key):
    """The value this invocation already read for `key`, or MISSING."""
    values = invocation.notes.get(VALUES)
    if not values or not isinstance(key, str) or scope not in SCOPES:
        return MISSING
    namespaces = invocation.notes.setdefault(NAMESPACES, {})
    namespace = namespaces.get(scope, MISSING)
    if namespace is MISSING:
        namespace = namespaces[scope] = namespace_for(invocation, scope)
    return values.get((namespace, key), MISSING)


MISSING = object()


_read_off_loop = sync_to_async(read)


def script_ops(invocation) -> dict:
    """Return the storage ops bound to one invocation.

    A key read before answers at once; otherwise the answer awaits the
    database (R6: ops may return a value or an awaitable).
    """

    def get(scope, key):
        value = cached(invocation, scope, key)
        if value is not MISSING:
            return value
        return _read_off_loop(invocation, scope, key)

    async def has_later(scope, key):
        return await _read_off_loop(invocation, scope, key) is not None

    def has(scope, key):
        value = cached(invocation, scope, key)
        if value is not MISSING:
            return value is not None
        return has_later(scope, key)

    return {"storage.get": get, "storage.has": has}
