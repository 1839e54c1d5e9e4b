"""The store's operations on a tenant's entities, with the rules they enforce.

Plain synchronous functions over the ORM, used by the pipeline
(documents_app.pipeline) for REST requests and by the scripts' host calls
alike. Every problem with the input is a StoreError that says what was wrong;
a write either happens whole or not at all (the caller holds a transaction).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import jsonpatch
import jsonpointer
from django.db import connection
from django.db.models import Q
from django.db.models.fields.json import KT

from core.conf import scripts_setting
from documents_app.models import Entity

_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_NAME = re.compile(r"[^/?#\s]{1,400}")


class StoreError(Exception):
    """A request the store refuses: an HTTP status, a code and a message."""

    def __init__(self, status: int, code: str, message: str, retry_after=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after  # seconds, for a 429


def bad(message: str) -> StoreError:
    return StoreError(400, "bad_request", message)


@dataclass(frozen=True)
class Uri:
    """A parsed entity or collection uri: "/assets" or "/assets/pump-1"."""

    collection: str
    name: str | None = None

    @property
    def path(self) -> str:
        return f"/{self.collection}" + (f"/{self.name}" if self.name else "")

    @property
    def is_collection(self) -> bool:
        return self.name is None


def parse_uri(uri) -> Uri:
    """Parse "/<collection>" or "/<collection>/<id>"; raise StoreError otherwise."""
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise bad(f"A uri must be a string such as '/assets/pump-1', got {_show(uri)}")
    parts = uri[1:].split("/")
    if parts[-1] == "" and len(parts) > 1:  # "/assets/" is the collection
        parts.pop()
    if len(parts) > 2:
        raise bad(
            f"A uri is '/<collection>' or '/<collection>/<id>', got '{uri}' "
            "(no deeper paths)"
        )
    collection = parts[0]
    if not _COLLECTION.fullmatch(collection):
        raise bad(
            f"Invalid collection name '{collection}' in '{uri}': letters, digits, "
            "'_', '.', '-', starting with a letter or digit, at most 100 characters"
        )
    if len(parts) == 1:
        return Uri(collection)
    name = parts[1]
    if not _NAME.fullmatch(name):
        raise bad(
            f"Invalid entity id '{name}' in '{uri}': 1 to 400 characters, no spaces"
        )
    return Uri(collection, name)


def _show(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# -- reading -----------------------------------------------------------------------


def get(tenant, uri: Uri) -> Entity | None:
    return Entity.objects.filter(tenant=tenant, uri=uri.path).first()


def parse_filter(text: str) -> list[tuple[list[str], object]]:
    """Parse a field filter: "field=value" terms joined by ':' (all must match).

    A field may be a dotted path ("location.site"). A value is JSON when it
    parses as JSON (7, true, null, "quoted"), else the text itself; an entity
    matches when the field equals either.
    """
    terms = []
    for term in text.split(":"):
        if not term:
            continue
        field, eq, raw = term.partition("=")
        if not eq or not field:
            raise bad(
                f"Invalid filter term '{term}': write field=value, terms joined "
                "by ':' (e.g. filter=type=pump:site=north)"
            )
        path = field.split(".")
        if any(not p for p in path):
            raise bad(f"Invalid field '{field}' in filter term '{term}'")
        terms.append((path, raw))
    return terms


def _nested(path: list[str], value) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value


def _candidates(raw: str) -> list:
    values = [raw]
    try:
        parsed = json.loads(raw)
    except ValueError:
        return values
    if parsed != raw:
        values.append(parsed)
    return values


def _term_q(path: list[str], raw: str) -> Q:
    match = Q()
    for value in _candidates(raw):
        if connection.vendor == "postgresql":
            # body @> {"a": {"b": value}}: answered by the GIN index.
            match |= Q(body__contains=_nested(path, value))
        else:  # SQLite's JSON1: json_extract(body, '$.a.b') = value
            match |= Q(**{"body__" + "__".join(path): value})
    return match


OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains")


def operator_q(field: str, operator: str, value) -> Q:
    """One IOTA filter {field, operator, value} as a query on Entity.body.

    `field` may be dotted ("address.city"). eq/ne compare JSON values
    exactly; lt/lte/gt/gte compare values of one JSON type (ISO dates as
    strings); `in` takes an array; `contains` is a substring of a string
    field or an element of an array field.
    """
    path = field.split(".")
    if not field or any(not p for p in path):
        raise bad(f"Invalid field name '{field}'")
    lookup = "body__" + "__".join(path)
    if operator == "eq":
        if connection.vendor == "postgresql":
            return Q(body__contains=_nested(path, value))
        return Q(**{lookup: value})
    if operator == "ne":
        return ~operator_q(field, "eq", value)
    if operator in ("lt", "lte", "gt", "gte"):
        return Q(**{f"{lookup}__{operator}": value})
    if operator == "in":
        if not isinstance(value, list):
            raise bad(f"The 'in' operator takes an array, got {_show(value)}")
        match = Q(pk__in=[])
        for item in value:
            match |= operator_q(field, "eq", item)
        return match
    if operator == "contains":
        # The field's text (a string's own, an array's JSON) holds the value.
        text = value if isinstance(value, str) else json.dumps(value)
        within = Entity.objects.alias(_text=KT(lookup)).filter(_text__contains=text)
        match = Q(pk__in=within.values("pk"))
        if connection.vendor == "postgresql":  # an element of an array, exactly
            match |= Q(body__contains=_nested(path, [value]))
        return match
    raise bad(f"Unknown operator '{operator}'; use one of {', '.join(OPERATORS)}")


def find(tenant, collection: str, filters: list, limit: int, offset: int = 0) -> list:
    """The bodies of a collection's entities that pass every filter, by uri."""
    if not _COLLECTION.fullmatch(str(collection)):
        raise bad(f"Invalid collection name {_show(collection)}")
    rows = Entity.objects.filter(tenant=tenant, collection=collection)
    for f in filters:
        rows = rows.filter(operator_q(f["field"], f["operator"], f["value"]))
    return list(rows.order_by("uri")[offset : offset + limit])


def query(tenant, uri: Uri, filter_text: str = "", page_size=None, offset=0):
    """One page of a collection's entities, by uri; return (entities, total)."""
    most = scripts_setting("STORE_MAX_PAGE_SIZE")
    page_size = scripts_setting("STORE_PAGE_SIZE") if page_size is None else page_size
    if not isinstance(page_size, int) or not 1 <= page_size <= most:
        raise bad(
            f"pageSize must be an integer from 1 to {most}, got {_show(page_size)}"
        )
    if not isinstance(offset, int) or offset < 0:
        raise bad(f"offset must be an integer >= 0, got {_show(offset)}")
    rows = Entity.objects.filter(tenant=tenant, collection=uri.collection)
    for path, raw in parse_filter(filter_text):
        rows = rows.filter(_term_q(path, raw))
    total = rows.count()
    return list(rows.order_by("uri")[offset : offset + page_size]), total


# -- writing -----------------------------------------------------------------------


def check_entity(entity, target: Uri, *, where: str = "") -> Uri:
    """Check one entity for `target` (its collection, or its own uri); return its uri.

    An entity is a JSON object with a string "uri" in the target collection;
    PUT to an entity's own uri may leave "uri" out (it is filled in).
    """
    at = f" ({where})" if where else ""
    if not isinstance(entity, dict):
        raise bad(f"An entity must be a JSON object{at}, got {_show(entity)}")
    if "uri" not in entity:
        if target.is_collection:
            raise bad(f'The entity has no \'uri\'{at}; e.g. "uri": "{target.path}/1"')
        return target
    uri = parse_uri(entity["uri"])
    if uri.collection != target.collection or uri.is_collection:
        raise bad(
            f"The entity's uri '{entity['uri']}' is outside the collection "
            f"'/{target.collection}'{at}"
        )
    if not target.is_collection and uri != target:
        raise bad(
            f"The entity's uri '{entity['uri']}' is not the uri it is written to, "
            f"'{target.path}'{at}"
        )
    return uri


def write(tenant, uri: Uri, body: dict) -> tuple[Entity, bool]:
    """Create or replace the entity at `uri`; return (entity, created).

    The caller checked `body` (check_entity) and holds a transaction.
    """
    body = {**body, "uri": uri.path}
    entity = (
        Entity.objects.select_for_update().filter(tenant=tenant, uri=uri.path).first()
    )
    if entity is None:
        entity = Entity.objects.create(
            tenant=tenant, collection=uri.collection, uri=uri.path, body=body
        )
        return entity, True
    entity.body = body
    entity.version += 1
    entity.save(update_fields=["body", "version", "updated_at"])
    return entity, False


def check_ops(ops) -> None:
    """Check that `ops` is a JSON Patch (RFC 6902) array; raise StoreError."""
    if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
        raise bad(
            "A PATCH body is a JSON Patch (RFC 6902): an array of operations such "
            'as {"op": "replace", "path": "/status", "value": "ok"}'
        )
    for index, op in enumerate(ops):
        if op.get("op") not in ("add", "remove", "replace", "move", "copy", "test"):
            raise bad(f"Operation {index} has no valid 'op': {_show(op)}")
        if not isinstance(op.get("path"), str):
            raise bad(f"Operation {index} has no 'path' string: {_show(op)}")


def apply_patch(document: dict, ops) -> dict:
    """Apply RFC 6902 JSON Patch `ops` to a copy of `document`; raise StoreError.

    The patch may not change the entity's uri.
    """
    check_ops(ops)
    try:
        patched = jsonpatch.JsonPatch(ops).apply(document)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise StoreError(409, "conflict", f"The patch's test failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise StoreError(
            409, "conflict", f"The patch does not apply to the entity: {exc}"
        ) from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise bad(f"Invalid patch: {exc}") from None
    if not isinstance(patched, dict):
        raise bad("The patch would make the entity something other than an object")
    if patched.get("uri") != document.get("uri"):
        raise bad("A patch may not change an entity's uri")
    return patched


def delete(tenant, uri: Uri) -> bool:
    deleted, _ = Entity.objects.filter(tenant=tenant, uri=uri.path).delete()
    return bool(deleted)
