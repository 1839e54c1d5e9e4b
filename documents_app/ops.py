"""The store's host calls for scripts: reads, and writes through the pipeline.

`store.get(uri)` reads directly (no triggers run for a script's read): the
body is an array of the matching entities, empty when there are none, as
Predix's `$.get` gives it. `store.write(method, uri, body)` is a store
request like a client's, so the collection's triggers run for it, one level
deeper; past SCRIPTS["STORE_TRIGGER_MAX_DEPTH"] it is refused (508). A write
commits on its own, as a REST call would (it is not a buffered effect), so
the invocation is marked irreversible (never re-run).
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

from core.conf import scripts_setting
from documents_app import effects, pipeline, store
from engine import HostError


def script_ops(invocation) -> dict:
    return {
        "store.get": functools.partial(get, invocation),
        "store.find": functools.partial(find, invocation),
        "store.write": functools.partial(write, invocation),
    }


def _find(invocation, collection, filters, limit, offset):
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        raise store.bad("filters must be an array of {field, operator, value}")
    for f in filters:
        if f.get("operator") not in store.OPERATORS or not isinstance(
            f.get("field"), str
        ):
            raise store.bad(f"Invalid filter {f!r}")
    most = scripts_setting("STORE_MAX_PAGE_SIZE")
    limit = max(1, min(int(limit), most * 2))
    entities = store.find(
        invocation.tenant, collection, filters, limit, max(0, int(offset))
    )
    effects.note_reads(invocation, entities, collection)
    return [e.body for e in entities]


async def find(invocation, collection, filters, limit, offset=0):
    """IOTA's reads (db.findOne/findMany, services.<c>.list/get): the bodies."""
    try:
        return await sync_to_async(_find)(
            invocation, collection, filters, limit, offset
        )
    except store.StoreError as exc:
        raise HostError(exc.message) from None


def _answer(status: int, body) -> dict:
    return {"statusCode": status, "body": body}


def _refused(error: store.StoreError) -> dict:
    return _answer(error.status, {"error": error.message})


def _split(uri: str):
    path, _, query = uri.partition("?")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    return path, params


def _int(params, name, default):
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise store.bad(f"{name} must be an integer, got '{raw[:40]}'") from None


def _read(invocation, uri: str) -> dict:
    tenant = invocation.tenant
    path, params = _split(uri)
    parsed = store.parse_uri(path)
    if not parsed.is_collection:
        entity = store.get(tenant, parsed)
        effects.note_reads(invocation, [entity] if entity else [], parsed.collection)
        return _answer(200, [entity.body] if entity else [])
    entities, _ = store.query(
        tenant,
        parsed,
        params.get("filter", ""),
        _int(params, "pageSize", None),
        _int(params, "offset", 0),
    )
    return _answer(200, [e.body for e in entities])


async def get(invocation, uri):
    if not isinstance(uri, str):
        return _refused(store.bad("$.get(uri) takes a uri such as '/assets/pump-1'"))
    try:
        return await sync_to_async(_read)(invocation, uri)
    except store.StoreError as exc:
        return _refused(exc)


async def write(invocation, method, uri, body):
    depth = invocation.depth + 1
    most = scripts_setting("STORE_TRIGGER_MAX_DEPTH")
    if depth > most:
        return _answer(
            508,
            {
                "error": f"Store writes by scripts nest {depth} deep, past the limit "
                f"of {most} (STORE_TRIGGER_MAX_DEPTH): not written"
            },
        )
    invocation.irreversible = True
    try:
        path, params = _split(uri) if isinstance(uri, str) else (uri, {})
        request = pipeline.StoreRequest(
            tenant=invocation.tenant,
            method=method,
            uri=store.parse_uri(path),
            body=body,
            request_id=f"{invocation.execution_id}",
            depth=depth,
            budget=invocation.budget,
        )
        response = await pipeline.handle(request)
    except store.StoreError as exc:
        return _refused(exc)
    response.start_after()
    return _answer(response.status, response.body)
