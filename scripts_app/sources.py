"""The source cache: what a warm context is built from, read once per version."""

from __future__ import annotations

from collections import OrderedDict

from asgiref.sync import sync_to_async

from core.plugins import source_body
from engine import ScriptSource
from scripts_app.header import parse_header, runs_strict
from scripts_app.routing import RouteTarget

# Sources of recently built versions: a version never changes, and with more
# busy scripts than the pool holds, contexts are rebuilt all the time.
_SOURCES: OrderedDict[tuple, ScriptSource] = OrderedDict()
_SOURCES_MAX_CHARS = 32 * 1024 * 1024
_sources_chars = 0


def forget_sources() -> None:
    """Empty the source cache (tests: ids come back after a rollback)."""
    global _sources_chars
    _SOURCES.clear()
    _sources_chars = 0


async def load_source(tenant, target: RouteTarget) -> ScriptSource:
    global _sources_chars
    key = (target.script_id, target.version, tenant.slug, tenant.name)
    found = _SOURCES.get(key)
    if found is not None:
        _SOURCES.move_to_end(key)
        return found
    found = await sync_to_async(source_of)(tenant, target)
    if key not in _SOURCES:
        _SOURCES[key] = found
        _sources_chars += len(found.source)
        while _sources_chars > _SOURCES_MAX_CHARS and len(_SOURCES) > 1:
            _, old = _SOURCES.popitem(last=False)
            _sources_chars -= len(old.source)
    return found


def source_of(tenant, target: RouteTarget) -> ScriptSource:
    from scripts_app.models import ScriptVersion

    version = ScriptVersion.objects.select_related("script").get(
        script_id=target.script_id, number=target.version
    )
    header = parse_header(version.source)  # it passed the parser at upload
    return ScriptSource(
        version.source,
        version.script.filename,
        init_context=init_context(tenant, version.script),
        strict=runs_strict(header),
        body_function=source_body(header),
    )


def init_context(tenant, script) -> dict:
    """The context init(context) receives, at upload and whenever a context is built."""
    return {
        "request": None,
        "args": {},
        "kind": "init",
        "meta": {},
        "tenant": {"id": tenant.slug, "name": tenant.name},
        "user": None,
        "script": {
            "id": script.name,
            "name": script.name,
            "type": "module",
            # What init() may do depends on it (schedulerService needs it).
            "privileged": bool(script.privileged),
        },
        "execution": {"id": None, "triggeredBy": "upload"},
    }
