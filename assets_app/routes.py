"""Asset routes registered from a handler (registerAssetRoute outside init()).

The reference implementation keeps such a route until the script is
reloaded. The JS asks check_route for the call's answer (assets.check_route);
once the invocation succeeds, routes_later stores the route with the
script's registrations and in the route table, until the script's next
upload, whose init() starts its set afresh (scripts_app.services: judge_later,
add_later).
"""

from __future__ import annotations

from scripts_app.models import Route, Script
from tenants.models import ChangeCounter


def _entry(path, asset) -> dict:
    return {"path": str(path), "asset": str(asset)}


def _script(invocation):
    return Script.objects.filter(
        pk=invocation.script_id, tenant=invocation.tenant
    ).first()


def _held(script, entry: dict) -> str | None:
    """ "" if the script has this asset route, a reason if it has the path
    for another asset, None if not the path."""
    for stored in (script.registrations or {}).get("assets") or []:
        if stored.get("path") != entry["path"]:
            continue
        if stored.get("asset") == entry["asset"]:
            return ""
        return (
            f"asset route {entry['path']}: the script already serves asset "
            f"'{stored.get('asset')}' there; upload the script to change it"
        )
    return None


def check_route(invocation, path: str, asset: str) -> str | None:
    """Why the platform would not take this asset route now, or None."""
    from scripts_app.services import judge_later

    script = _script(invocation)
    if script is None:
        return "the script is gone"
    entry = _entry(path, asset)
    held = _held(script, entry)
    if held is not None:
        return held or None
    kept, _, warnings = judge_later(invocation.tenant, script, "assets", [entry])
    if kept:
        return None
    return warnings[0] if warnings else f"asset route {path} was not registered"


def served_routes(invocation) -> list[str]:
    """The paths of the script's stored asset routes."""
    script = _script(invocation)
    if script is None:
        return []
    return [a["path"] for a in (script.registrations or {}).get("assets") or []]


def routes_later(invocation, entries: list[dict]) -> None:
    """Store asset routes a handler registered (inside the invocation's transaction).

    One the platform no longer takes (an upload took the path since the call
    answered) is left out with a WARN entry in the script's logs.
    """
    from scripts_app.records import log_for
    from scripts_app.services import add_later

    wanted = [_entry(e.get("path"), e.get("asset")) for e in entries]
    script, kept, warnings = add_later(
        invocation,
        "assets",
        wanted,
        "asset route " + ", ".join(e["path"] for e in wanted),
        key=lambda e: e["path"],
    )
    if kept:
        Route.objects.bulk_create(
            [
                Route(
                    tenant_id=script.tenant_id,
                    script=script,
                    method="GET",
                    path=e["path"],
                    handler="",
                    kind="asset",
                    resource=e["asset"],
                )
                for e in kept
            ]
        )
        ChangeCounter.bump("routes")
    if warnings:
        messages = [f"Asset route not registered: {w}" for w in warnings]

        async def warn():
            log_for(invocation, "WARN", *messages)

        invocation.after_commit.append(warn)
