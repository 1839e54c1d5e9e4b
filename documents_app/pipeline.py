"""Every store request runs here: checks, pre-processing, the write, post-processing.

    parse and check -> hooks' pre_process -> the write (one transaction)
    -> the response -> hooks' post_process (after the response has gone)

Hooks are how another app takes part without the store naming it (the
triggers app runs Predix's pre- and post-processing scripts): an app appends
a StoreHook to `hooks` in its AppConfig.ready(). A hook's pre_process may
change the request's entities (POST, PUT) or patch operations (PATCH), or
refuse it with a StoreError (a cancelled request: 422); nothing is written
then. post_process gets the request and the response after the response
was sent; what it does is its own business (it must not raise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.db import transaction

from documents_app import store
from documents_app.store import StoreError, Uri, bad

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class StoreRequest:
    """One request to the store, from REST or from a script ($.post...)."""

    tenant: object
    method: str
    uri: Uri
    user: object = None
    body: object = None  # as sent: JSON
    filter_text: str = ""
    page_size: int | None = None
    offset: int = 0
    request_id: str = ""
    # How many store writes by scripts led to this one (post-processing
    # cascades stop at a depth limit).
    depth: int = 0
    # The budget of the invocation whose write this is (scripts_app.budget):
    # the scripts this request runs share it. None for a client's request.
    budget: object = None
    # Filled by check(): the entities to write (POST, PUT) with their uris,
    # or the patch (PATCH). Pre-processing hooks may change them.
    entities: list[dict] = field(default_factory=list)
    ops: list | None = None
    # Free for hooks, from pre_process to post_process.
    notes: dict = field(default_factory=dict)


@dataclass
class StoreResponse:
    status: int
    body: object = None  # JSON, None: no body
    headers: dict = field(default_factory=dict)
    # What must start once the response has gone (post-processing): the
    # caller calls start_after() then (the REST view when its response is
    # closed, a script's write when its answer is handed back).
    after: list = field(default_factory=list)

    def start_after(self) -> None:
        jobs, self.after = self.after, []
        for job in jobs:
            job()


class StoreHook:
    """What an app does around store requests (see the module docstring)."""

    async def pre_process(self, request: StoreRequest) -> None:
        return None

    def post_process(self, request: StoreRequest, response: StoreResponse) -> None:
        """Called once the write is done; append to response.after what must
        start after the response has gone. Must not raise."""
        return None


hooks: list[StoreHook] = []


def check(request: StoreRequest) -> None:
    """Check the request's method, uri and body; fill entities/ops. Raise StoreError."""
    method, uri, body = request.method, request.uri, request.body
    if method == "POST":
        if not uri.is_collection:
            raise StoreError(
                405,
                "method_not_allowed",
                f"POST to a collection, e.g. /store/{uri.collection}; "
                f"PUT writes one entity at {uri.path}",
            )
        items = body if isinstance(body, list) else [body]
        if not items:
            raise bad("The POST body is an empty array: nothing to write")
        most = store.scripts_setting("STORE_MAX_ENTITIES_PER_REQUEST")
        if len(items) > most:
            raise bad(f"At most {most} entities per POST, got {len(items)}")
        seen = set()
        for index, item in enumerate(items):
            where = f"entity {index}" if isinstance(body, list) else ""
            item_uri = store.check_entity(item, uri, where=where)
            if item_uri.path in seen:
                raise bad(f"The uri '{item_uri.path}' appears twice in the POST body")
            seen.add(item_uri.path)
        request.entities = [dict(item) for item in items]
    elif method == "PUT":
        if uri.is_collection:
            raise StoreError(
                405,
                "method_not_allowed",
                f"PUT writes one entity, e.g. /store/{uri.collection}/<id>; "
                "POST to the collection writes several",
            )
        store.check_entity(body, uri)
        request.entities = [{**body, "uri": uri.path}]
    elif method == "PATCH":
        if uri.is_collection:
            raise StoreError(
                405, "method_not_allowed", "PATCH one entity, e.g. /store/assets/<id>"
            )
        store.check_ops(body)
        request.ops = body
    elif method == "DELETE":
        if uri.is_collection:
            raise StoreError(
                405,
                "method_not_allowed",
                "DELETE one entity at a time, e.g. /store/assets/<id>",
            )
    elif method != "GET":
        raise StoreError(405, "method_not_allowed", f"Method {method} is not allowed")


def _write(request: StoreRequest) -> StoreResponse:
    tenant, uri = request.tenant, request.uri
    with transaction.atomic():
        if request.method == "POST":
            stored, created = [], False
            for index, item in enumerate(request.entities):
                # Checked again: a pre-processing script may have changed it.
                where = f"entity {index}" if len(request.entities) > 1 else ""
                item_uri = store.check_entity(item, uri, where=where)
                entity, new = store.write(tenant, item_uri, item)
                stored.append(entity.body)
                created = created or new
            return StoreResponse(201 if created else 200, stored)
        if request.method == "PUT":
            item = request.entities[0]
            store.check_entity(item, uri)
            entity, created = store.write(tenant, uri, item)
            return StoreResponse(201 if created else 200, entity.body)
        if request.method == "PATCH":
            entity = (
                store.Entity.objects.select_for_update()
                .filter(tenant=tenant, uri=uri.path)
                .first()
            )
            if entity is None:
                raise _missing(uri)
            patched = store.apply_patch(entity.body, request.ops)
            entity, _ = store.write(tenant, uri, patched)
            return StoreResponse(200, entity.body)
        if not store.delete(tenant, uri):  # DELETE
            raise _missing(uri)
        return StoreResponse(204)


def _read(request: StoreRequest) -> StoreResponse:
    uri = request.uri
    if not uri.is_collection:
        entity = store.get(request.tenant, uri)
        if entity is None:
            raise _missing(uri)
        return StoreResponse(200, entity.body)
    entities, total = store.query(
        request.tenant, uri, request.filter_text, request.page_size, request.offset
    )
    headers = {"X-Total-Count": str(total)}
    # The next page, when there is one (RFC 8288).
    size = request.page_size or len(entities)
    following = request.offset + len(entities)
    if following < total:
        query = f"pageSize={size}&offset={following}"
        if request.filter_text:
            query += "&filter=" + quote(request.filter_text, safe="=:")
        headers["Link"] = f'</store{uri.path}?{query}>; rel="next"'
    return StoreResponse(200, [e.body for e in entities], headers)


def _missing(uri: Uri) -> StoreError:
    return StoreError(
        404,
        "not_found",
        f"No entity '{uri.path}' in this tenant; GET /store/{uri.collection} "
        "lists the collection",
    )


async def handle(request: StoreRequest) -> StoreResponse:
    """Run one store request through the pipeline; raise StoreError to refuse it."""
    check(request)
    for hook in hooks:
        await hook.pre_process(request)
    if request.method == "GET":
        response = await sync_to_async(_read)(request)
    else:
        response = await sync_to_async(_write)(request)
    for hook in hooks:
        hook.post_process(request, response)
    return response
