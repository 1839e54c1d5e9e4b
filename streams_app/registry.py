"""Stream and listener registrations: checked at upload, stored with the version.

scripts_app.services calls these through the app's hooks
(`check_script_registrations`, `store_script_registrations`).
"""

from __future__ import annotations

from scripts_app.routing import reserved
from streams_app.models import Listener, StreamRoute


def check(tenant, name: str, registrations: dict) -> list[dict]:
    """Return the clashes of this upload's streams with the tenant's other scripts.

    A stream holds GET and HEAD on its path: no other script may have a
    stream, a GET or HEAD route or an app's route (an asset route) there, and this script's GET
    and HEAD routes may not sit on another script's stream.
    """
    from scripts_app.models import Route
    from scripts_app.services import declared_routes

    streams = [s["path"] for s in registrations.get("streams", [])]
    gets = [
        r["path"]
        for r in declared_routes(registrations)
        if r["method"] in ("GET", "HEAD")
    ]
    clashes = []
    if streams:
        taken = dict(
            StreamRoute.objects.filter(tenant=tenant, path__in=streams)
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        routed = dict(
            Route.objects.filter(
                tenant=tenant, path__in=streams, method__in=("GET", "HEAD")
            )
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        for path in streams:
            holder = taken.get(path) or routed.get(path)
            if holder:
                clashes.append({"method": "STREAM", "path": path, "script": holder})
    if gets:
        on_streams = dict(
            StreamRoute.objects.filter(tenant=tenant, path__in=gets)
            .exclude(script__name=name)
            .values_list("path", "script__name")
        )
        for path in gets:
            if path in on_streams:
                clashes.append(
                    {"method": "GET", "path": path, "script": on_streams[path]}
                )
    return clashes


def refused_paths(registrations: dict) -> list[str]:
    """Streams under the platform's own paths."""
    return [
        f"stream {s['path']}"
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
    Listener.objects.bulk_create(
        [
            Listener(
                tenant_id=script.tenant_id,
                script=script,
                message_type=entry["messageType"],
                handler=entry["handler"],
            )
            for entry in registrations.get("listeners", [])
        ]
    )
