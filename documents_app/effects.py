"""IOTA's db/services writes, applied after the invocation succeeds (R5).

Reads record the version of each entity they returned
(invocation.notes["documents"]); an update or delete of an entity that has
changed since, or an insert of one that appeared since, raises
EffectConflict, and the invocation runs again (scripts_app.hosting), so a
read-modify-write through db.update never loses an update.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.mail import send_mail
from django.db import IntegrityError

from documents_app import store
from documents_app.models import Entity
from scripts_app.hosting import EffectConflict, EffectRejected

READS = "documents"
SCANNED = "documents.collections"


def lock_name(tenant_id, uri: str) -> str:
    return f"documents:{tenant_id}:{uri}"


def note_reads(invocation, entities, collection: str | None = None) -> None:
    """Note the versions of what a read returned, and the collection it
    searched (an insert after a search that found nothing is checked)."""
    seen = invocation.notes.setdefault(READS, {})
    for entity in entities:
        seen.setdefault(entity.uri, entity.version)
    if collection is not None:
        invocation.notes.setdefault(SCANNED, set()).add(collection)


def apply(invocation, effects: list[dict]) -> None:
    tenant = invocation.tenant
    seen = invocation.notes.get(READS, {})
    mails = []
    for effect in effects:
        kind, data = effect.get("kind"), effect.get("data") or {}
        if kind == "store.sendEmail":
            mails.append(data)
            continue
        try:
            uri = store.parse_uri(f"/{data.get('collection')}/{data.get('id')}")
        except store.StoreError as exc:
            raise EffectRejected(exc.message) from None
        row = (
            Entity.objects.select_for_update()
            .filter(tenant=tenant, uri=uri.path)
            .first()
        )
        if kind == "store.insert":
            if row is not None:
                raise _taken(invocation, uri, seen)
            try:
                store.write(tenant, uri, data["entity"])
            except IntegrityError:
                # Another process inserted it after the look above, and its
                # transaction committed while this one waited on the key. (The
                # exception leaves the transaction: it is rolled back.)
                raise _taken(invocation, uri, seen) from None
        elif kind in ("store.update", "store.delete"):
            if row is None or (uri.path in seen and row.version != seen[uri.path]):
                raise EffectConflict(
                    f"{uri.path} changed since it was read",
                    [lock_name(tenant.id, uri.path)],
                )
            if kind == "store.update":
                store.write(tenant, uri, data["entity"])
            else:
                row.delete()
        else:
            raise EffectRejected(f"unknown document effect {kind!r}")
    for mail in mails:
        invocation.after_commit.append(_sender(mail))


def _taken(invocation, uri, seen) -> Exception:
    """What an insert of an entity that exists now raises."""
    if uri.collection in invocation.notes.get(SCANNED, ()) or uri.path in seen:
        # Stored since this invocation looked: run it again.
        return EffectConflict(
            f"{uri.path} was stored meanwhile",
            [lock_name(invocation.tenant.id, uri.path)],
        )
    return EffectRejected(f"db.insert: {uri.collection} '{uri.name}' already exists")


def _sender(mail: dict):
    async def send():
        await sync_to_async(send_mail)(
            mail["subject"], mail["body"], None, list(mail["to"]), fail_silently=False
        )

    return send
