"""Running Predix scripts: around store requests (triggers) and at /custom/<name>.

For a store request (documents_app.pipeline), TriggerHook runs the
collection's enabled triggers whose methods include the request's:

- pre-processing, in order (`order`, then id), before the write: once per
  entity of a POST, once otherwise. A script may cancel the request (422,
  nothing written), change the entity ($.updateEntity) or drop it
  ($.removeEntity), change a PATCH's operations ($.updateBody). A script
  that throws or runs past its limits fails the request.
- post-processing, after the response has gone, in the background (each
  run on its own; a failure becomes a system message).

Every run goes through the one runner (scripts_app.invocations.run), with
the body's globals in context.meta.predix: `o` (the entity, or the PATCH
operations), `parameters` (the trigger's scriptParameters) and `current`
(the stored entity, for a script with `@inject current`, read before the
write). What a script reported goes into the request's system message.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from asgiref.sync import sync_to_async

from core.conf import scripts_setting
from documents_app import store
from documents_app.pipeline import StoreHook, StoreRequest, StoreResponse
from scripts_app.invocations import run
from scripts_app.routing import RouteTarget
from triggers_app import messages
from triggers_app.apps import RUN_HANDLER
from triggers_app.directory import TriggerInfo, triggers

log = logging.getLogger(__name__)

PRE, POST_PHASE, CUSTOM = "pre-processing", "post-processing", "custom"
REPORT_PHASE = {PRE: "preProcessing", POST_PHASE: "postProcessing", CUSTOM: "custom"}


def target_of(trigger: TriggerInfo) -> RouteTarget:
    return trigger.target(RUN_HANDLER)


class TriggerFailed(store.StoreError):
    """A script that threw or ran past its limits, as the client's error."""


async def run_trigger(
    trigger: TriggerInfo,
    phase: str,
    tenant,
    *,
    method: str,
    url: str,
    request_id: str,
    o,
    current=None,
    http_request: dict | None = None,
    depth: int = 0,
    budget=None,
):
    """Run the trigger's script once; return (its Predix result or None, outcome).

    Writes the system message report when the script had something to say
    or failed.
    """
    predix = {
        "phase": phase,
        "method": method,
        "o": o,
        "parameters": trigger.parameters or {},
        "current": current,
    }
    context = {
        "request": http_request
        or {"method": method, "path": url, "query": {}, "headers": {}, "body": o},
        "meta": {"predix": predix, "trigger": trigger.uri},
    }
    outcome = await run(
        phase,
        tenant,
        target_of(trigger),
        context,
        trigger=f"{method} {url} (trigger {trigger.name})",
        triggered_by="http" if phase == CUSTOM else "api",
        depth=depth,
        budget=budget,
        ref=f"trigger:{trigger.id}",
    )
    result = outcome.value if outcome.ok and isinstance(outcome.value, dict) else None
    said = []
    if outcome.error is not None:
        said.append(failure_text(trigger, outcome.error))
    if result:
        said.extend(f"Request cancelled: {m}" for m in result.get("cancels") or [])
        if result.get("removed"):
            said.append(f"Entity removed: {result['removed']}")
        if result.get("updated"):
            said.append("Entity updated")
        if result.get("ops") is not None:
            said.append("Patch updated")
        said.extend(result.get("messages") or [])
    if said:
        await sync_to_async(messages.report)(
            tenant,
            request_id,
            method,
            url,
            REPORT_PHASE[phase],
            {
                "trigger": trigger.uri,
                "script": f"/system/scripts/{trigger.script.name}",
                "timeElapsedMs": round(outcome.duration_ms, 1),
                "messages": said,
            },
        )
    return result, outcome


def failure_text(trigger: TriggerInfo, error) -> str:
    from scripts_app.executions import error_text

    what = {
        "timeout": "ran past its time limit",
        "memory_limit": "ran past its memory limit",
        "overloaded": "was not run: too many scripts run at once",
    }.get(error.code, "failed")
    return (
        f"Trigger '{trigger.name}' (script '{trigger.script.name}') {what}: "
        f"{error_text(error, target_of(trigger))}"
    )


def failed(trigger: TriggerInfo, error) -> TriggerFailed:
    status = {"timeout": 504, "overloaded": 429}.get(error.code, 500)
    code = {"timeout": "trigger_timeout", "overloaded": "throttled"}.get(
        error.code, "trigger_failed"
    )
    return TriggerFailed(
        status,
        code,
        failure_text(trigger, error),
        retry_after=getattr(error, "retry_after", None),
    )


async def _stored_bodies(tenant, uris: list[str]) -> dict:
    """{uri: body} of the tenant's stored entities among `uris` (`current`)."""

    def read():
        found = store.Entity.objects.filter(tenant=tenant, uri__in=uris)
        return {e.uri: e.body for e in found}

    return await sync_to_async(read)()


class TriggerHook(StoreHook):
    """documents_app.pipeline's hook: the Predix triggers of store requests."""

    async def pre_process(self, request: StoreRequest) -> None:
        collection = f"/{request.uri.collection}"
        found = await triggers().find(request.tenant.id, collection, request.method)
        if not found:
            return
        pre = [t for t in found if t.phase == PRE]
        post = [t for t in found if t.phase == POST_PHASE]
        request.notes["post"] = post
        if any(t.injects_current for t in post):
            # Post-processing scripts see the entity as it was before the write.
            request.notes["before"] = await self._currents(request)
        if not pre:
            return
        url = f"/store{request.uri.path}"
        if request.method == "POST":
            kept = []
            for entity in request.entities:
                entity = await self._run_all(request, pre, entity, url)
                if entity is not None:
                    kept.append(entity)
            request.entities = kept
        elif request.method == "PUT":
            entity = await self._run_all(request, pre, request.entities[0], url)
            request.entities = [entity] if entity is not None else []
        elif request.method == "PATCH":
            request.ops = await self._run_all(request, pre, request.ops, url)
        else:
            await self._run_all(request, pre, {"uri": request.uri.path}, url)

    async def _currents(self, request) -> dict:
        uris = [
            e.get("uri") if isinstance(e.get("uri"), str) else request.uri.path
            for e in request.entities
        ] or [request.uri.path]
        return await _stored_bodies(request.tenant, uris)

    async def _run_all(self, request, pre, o, url):
        """Run the pre-processing triggers on `o`; return it as they left it
        (None: an entity a script removed). Raise to refuse the request."""
        current = None
        if any(t.injects_current for t in pre):
            uri = o.get("uri") if isinstance(o, dict) and "uri" in o else None
            current = await self._currents_for(request, uri or request.uri.path)
        for trigger in pre:
            result, outcome = await run_trigger(
                trigger,
                PRE,
                request.tenant,
                method=request.method,
                url=url,
                request_id=request.request_id,
                o=o,
                current=current if trigger.injects_current else None,
                depth=request.depth,
                budget=request.budget,
            )
            if outcome.error is not None:
                raise failed(trigger, outcome.error)
            if result is None:
                continue
            if result.get("cancels"):
                raise store.StoreError(
                    422, "request_cancelled", "; ".join(result["cancels"])
                )
            if result.get("removed"):
                return None
            if result.get("updated"):
                o = result["entity"]
            if result.get("ops") is not None:
                o = result["ops"]
        return o

    async def _currents_for(self, request, uri):
        try:
            parsed = store.parse_uri(uri)
        except store.StoreError:
            return None
        return (await _stored_bodies(request.tenant, [parsed.path])).get(parsed.path)

    def post_process(self, request: StoreRequest, response: StoreResponse) -> None:
        post = request.notes.get("post") or []
        if not post or not 200 <= response.status < 300:
            return
        if request.method == "POST":
            items = list(response.body or [])
        elif request.method == "GET":
            items = [response.body]
        elif request.method == "DELETE":
            items = [{"uri": request.uri.path}]
        else:
            items = [response.body]
        payload = {
            "tenant": request.tenant.id,
            "request_id": request.request_id,
            "method": request.method,
            "url": f"/store{request.uri.path}",
            "depth": request.depth,
            "items": items,
            "triggers": [t.id for t in post],
            "before": request.notes.get("before") or {},
        }
        if on_celery():
            from triggers_app.tasks import post_process as task

            response.after.append(lambda: task.delay(payload))
        else:
            loop = _loop_or_none()
            response.after.append(
                lambda: submit(loop, lambda: post_process_payload(payload))
            )


def on_celery() -> bool:
    """Do Celery workers run post-processing (the scaled stack), or this process?"""
    from django.conf import settings

    configured = scripts_setting("POST_PROCESSING_ON_CELERY")
    return bool(settings.REDIS_URL) if configured is None else bool(configured)


async def post_process_payload(payload: dict) -> None:
    """Run a store request's post-processing triggers, once per item, in order."""
    from tenants.models import Tenant

    tenant = await sync_to_async(Tenant.objects.filter(id=payload["tenant"]).first)()
    if tenant is None:
        return
    directory = triggers()
    await directory.refresh()
    wanted = set(payload["triggers"])
    found = {
        t.id: t for rows in directory.table.values() for t in rows if t.id in wanted
    }
    post = [found[i] for i in payload["triggers"] if i in found]
    before = payload.get("before") or {}
    for item in payload["items"]:
        uri = item.get("uri") if isinstance(item, dict) else None
        for trigger in post:
            try:
                await run_trigger(
                    trigger,
                    POST_PHASE,
                    tenant,
                    method=payload["method"],
                    url=payload["url"],
                    request_id=payload["request_id"],
                    o=item,
                    current=before.get(uri) if trigger.injects_current else None,
                    depth=payload["depth"],
                )
            except Exception:  # noqa: BLE001 - one failure must not stop the rest
                log.exception("Post-processing trigger %s failed", trigger.name)


# -- the background ---------------------------------------------------------------------

_tasks: set = set()


def _loop_or_none():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def submit(loop, make) -> None:
    """Run the coroutine `make()` in the background: on `loop` (the serving
    process's) when it still runs, else on a loop of its own in a thread
    (a request served by a loop that has ended: the test client)."""
    if loop is not None and loop.is_running() and not loop.is_closed():

        def start():
            task = loop.create_task(make())
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

        loop.call_soon_threadsafe(start)
        return
    thread = threading.Thread(
        target=lambda: asyncio.run(_in_a_thread(make)), daemon=True
    )
    _threads.add(thread)
    thread.start()


_threads: set = set()


async def _to_the_end(make) -> None:
    """Run make(), then what it started on this loop (a post-processing
    script's write starts the next level's post-processing)."""
    await make()
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(0)  # let call_soon_threadsafe's starts run
        pending = [t for t in _tasks if t.get_loop() is loop and not t.done()]
        if not pending:
            return
        await asyncio.gather(*pending, return_exceptions=True)


async def _in_a_thread(make) -> None:
    """The thread's loop: run everything, then close its engine's contexts
    before asyncio.run closes the loop they belong to."""
    from scripts_app.engines import engine

    try:
        await _to_the_end(make)
    finally:
        running = engine()
        await running.settle()
        running.clear()


def wait_for_background(timeout: float = 10.0) -> None:
    """Wait for background runs started in threads (tests, management commands)."""
    for thread in list(_threads):
        thread.join(timeout)
        _threads.discard(thread)
