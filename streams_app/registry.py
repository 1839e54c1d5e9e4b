"""Stream and listener registrations: checked at upload, stored with the version.

scripts_app.services calls these through the app's hooks
(`refused_script_paths`, `check_script_registrations`,
`store_script_registrations`); a stream it cannot take is dropped from the
upload with a warning (core.plugins.Refused), never refusing the upload.
"""

from __future__ import annotations

from core.plugins import Refused
from scripts_app.routing import reserved
from scripts_app.services import RESERVED
from streams_app.models import Listener, StreamRoute
from tenants.models import ChangeCounter


def check(tenant, name: str, registrations: dict) -> list[Refused]:
    """The registrations that clash with the tenant's other scripts' streams.

    A stream holds GET and HEAD on its path: no other script may have a
    stream, a GET or HEAD route or an app's route (an asset route) there, and
    this script's GET and HEAD routes may not sit on another script's stream.
    The script that holds the path keeps it; this upload's entry is dropped.
    """
    from scripts_app.models import Route
    from scripts_app.services import route_entries

    streams = registrations.get("streams", [])
    gets = [
        (kind, entry, route)
        for kind, entry, route in route_entries(registrations)
        if route["method"] in ("GET", "HEAD")
    ]
    refused = []
    if streams:
        paths = [s["path"] for s in streams]
        taken = dict(
            StreamRoute.objects.filter(tenant=tenant, path__in=paths)
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        routed = dict(
            Route.objects.filter(
                tenant=tenant, path__in=paths, method__in=("GET", "HEAD")
            )
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        for stream in streams:
            path = stream["path"]
            if path in taken:
                why = f"script '{taken[path]}' already serves it (a stream)"
            elif path in routed:
                why = f"script '{routed[path]}' already serves it"
            else:
                continue
            refused.append(Refused("streams", stream, f"stream {path}: {why}"))
    if gets:
        on_streams = dict(
            StreamRoute.objects.filter(
                tenant=tenant, path__in=[route["path"] for _, _, route in gets]
            )
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        for kind, entry, route in gets:
            holder = on_streams.get(route["path"])
            if holder:
                what = (
                    f"{route['kind']} route {route['path']}"
                    if route["kind"]
                    else f"route {route['method']} {route['path']}"
                )
                refused.append(
                    Refused(
                        kind,
                        entry,
                        f"{what}: script '{holder}' already serves it (a stream)",
                    )
                )
    return refused


def refused_paths(registrations: dict) -> list[Refused]:
    """Streams under the platform's own paths."""
    return [
        Refused("streams", s, f"stream {s['path']}: {RESERVED}")
        for s in registrations.get("streams", [])
        if reserved(s["path"])
    ]


def store(script, registrations: dict) -> None:
    """Replace the script's streams and listeners (inside the upload's transaction)."""
    StreamRoute.objects.filter(script=script).delete()
    StreamRoute.objects.bulk_create(
        [
            StreamRoute(
                tenant_id=script.tenant_id,
                script=script,
                path=s["path"],
                customizer=s.get("customizer") or "",
            )
            for s in registrations.get("streams", [])
        ]
    )
    Listener.objects.filter(script=script).delete()
    _add_listeners(script, registrations.get("listeners", []))


def _add_listeners(script, entries, **options) -> None:
    Listener.objects.bulk_create(
        [
            Listener(
                tenant_id=script.tenant_id,
                script=script,
                message_type=entry["messageType"],
                handler=entry["handler"],
            )
            for entry in entries
        ],
        **options,
    )


def register_later(invocation, entries: list[dict]) -> None:
    """Store listeners a handler registered (inside the invocation's transaction).

    They join the script's load-time listeners (Listener rows, and the
    script's stored registrations, so the next upload's bookkeeping sees
    them) and last until the script is uploaded again or deleted, as
    listeners registered in init() do. Bumping the "listeners" counter makes
    every process reload its ListenerDirectory. A registration by a version
    that is no longer the script's, or past the script's registration limit,
    is dropped with a WARN entry in the script's logs
    (scripts_app.services.add_later).
    """
    from scripts_app.services import add_later

    wanted = [
        {"messageType": str(e.get("messageType")), "handler": str(e.get("handler"))}
        for e in entries
    ]
    script, added, warnings = add_later(
        invocation,
        "listeners",
        wanted,
        "listener "
        + ", ".join(f"{e['messageType']} -> {e['handler']}" for e in wanted),
    )
    if added:
        _add_listeners(script, added, ignore_conflicts=True)
        ChangeCounter.bump("listeners")
    if warnings:
        _warn_later(invocation, *(f"Listener not registered: {w}" for w in warnings))


def _stream(path, customizer) -> dict:
    return {"path": str(path), "customizer": str(customizer or "")}


def check_later(invocation, path: str, customizer: str = "") -> str | None:
    """Why the platform would not take this stream from a handler, or None.

    The answer registerStreamRoute gives at once; streams_later checks again
    when the invocation's effects are stored.
    """
    from scripts_app.models import Script
    from scripts_app.services import judge_later

    script = Script.objects.filter(
        pk=invocation.script_id, tenant=invocation.tenant
    ).first()
    if script is None:
        return "the script is gone"
    entry = _stream(path, customizer)
    held = _held(script, entry)
    if held is not None:
        return held or None
    kept, _, warnings = judge_later(invocation.tenant, script, "streams", [entry])
    if kept:
        return None
    return warnings[0] if warnings else f"stream {entry['path']} was not registered"


def _held(script, entry: dict) -> str | None:
    """ "" if the script already has this stream, a reason if it has the path
    with another customizer, None if it has not the path."""
    for stored in (script.registrations or {}).get("streams") or []:
        if stored.get("path") != entry["path"]:
            continue
        if (stored.get("customizer") or "") == entry["customizer"]:
            return ""
        return (
            f"stream {entry['path']}: the script already has it, with customizer "
            f"'{stored.get('customizer') or ''}'; upload the script to change it"
        )
    return None


def served_streams(invocation) -> list[dict]:
    """The streams the platform serves for the invocation's script, stored ones."""
    from scripts_app.models import Script

    script = Script.objects.filter(
        pk=invocation.script_id, tenant=invocation.tenant
    ).first()
    if script is None:
        return []
    return [
        {"path": s["path"], "customizer": s.get("customizer") or ""}
        for s in (script.registrations or {}).get("streams") or []
    ]


def streams_later(invocation, entries: list[dict]) -> None:
    """Store streams a handler registered (inside the invocation's transaction).

    They join the script's streams (StreamRoute rows and its stored
    registrations) and last until its next upload or its deletion, as
    streams registered in init() do; every process's stream directory
    reloads. One the platform no longer takes (another upload took the path
    since the call answered) is left out with a WARN entry in the script's
    logs.
    """
    from scripts_app.services import add_later

    wanted = [_stream(e.get("path"), e.get("customizer")) for e in entries]
    script, kept, warnings = add_later(
        invocation,
        "streams",
        wanted,
        "stream " + ", ".join(e["path"] for e in wanted),
        key=lambda e: e["path"],
    )
    if kept:
        StreamRoute.objects.bulk_create(
            [
                StreamRoute(
                    tenant_id=script.tenant_id,
                    script=script,
                    path=e["path"],
                    customizer=e["customizer"],
                )
                for e in kept
            ]
        )
        ChangeCounter.bump("streams")
    if warnings:
        _warn_later(invocation, *(f"Stream not registered: {w}" for w in warnings))


def _warn_later(invocation, *messages: str) -> None:
    """WARN entries in the script's logs, once the invocation has committed."""

    async def warn():
        from scripts_app.records import log_for

        log_for(invocation, "WARN", *messages)

    invocation.after_commit.append(warn)
