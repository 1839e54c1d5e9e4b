"""The host side of assetStorage: reads as host calls, writes as effects.

Both check the script's capabilities in the database, so a script never gets
further than its admin allowed, whatever its context says.
"""

from __future__ import annotations

import base64
import json

from asgiref.sync import sync_to_async
from django.db import IntegrityError

from assets_app import repository, rules
from assets_app.capabilities import DELETE_ASSETS, READ_ASSETS, WRITE_ASSETS
from assets_app.models import Asset
from engine import HostError
from scripts_app.hosting import EffectConflict, EffectRejected
from scripts_app.models import Script

EFFECT_PREFIX = "assets."
NEEDS = {
    "assets.upsert": (WRITE_ASSETS, "upsertAsset"),
    "assets.delete": (DELETE_ASSETS, "deleteAsset"),
}


def capability_message(capability: str, call: str) -> str:
    return (
        f"assetStorage.{call} needs the {capability} capability; an admin grants "
        "it on the script's page in /system/admin/"
    )


def capabilities_of(script_id: int) -> list[str]:
    found = Script.objects.filter(pk=script_id).values_list("capabilities", flat=True)
    return list(found.first() or [])


def script_ops(invocation) -> dict:
    """Return the assets.* ops bound to one invocation's tenant and script."""

    def require(capability: str, call: str) -> None:
        if capability not in capabilities_of(invocation.script_id):
            raise HostError(capability_message(capability, call), "CapabilityError")

    def list_assets() -> str:
        require(READ_ASSETS, "listAssets")
        assets = Asset.objects.filter(tenant=invocation.tenant).order_by("name")
        return json.dumps([a.metadata() for a in assets])

    def noted(name) -> Asset | None:
        """The asset, or None; its version is what a later write is checked against."""
        asset = Asset.objects.filter(tenant=invocation.tenant, name=name).first()
        reads = invocation.notes.setdefault("assets.read", {})
        reads.setdefault(name, asset.version if asset else 0)
        return asset

    def fetch_asset(name) -> str:
        require(READ_ASSETS, "fetchAsset")
        problem = rules.name_problem(name)
        if problem:
            return problem
        asset = noted(name)
        if asset is None:
            return rules.not_found(name)
        return base64.b64encode(repository.read(asset)).decode("ascii")

    # deleteAsset's answer ("deleted successfully" or "not found") needs to know
    # now; the read is noted, so an asset created or deleted by someone else
    # before the delete applies re-runs the invocation (scripts_app.contention).
    def asset_exists(name) -> bool:
        require(DELETE_ASSETS, "deleteAsset")
        if rules.name_problem(name):
            return False
        return noted(name) is not None

    def check_route(path, asset):
        from assets_app.routes import check_route

        return check_route(invocation, path, asset)

    def served_routes():
        from assets_app.routes import served_routes

        return served_routes(invocation)

    return {
        "assets.list": sync_to_async(list_assets),
        "assets.fetch": sync_to_async(fetch_asset),
        "assets.exists": sync_to_async(asset_exists),
        "assets.check_route": sync_to_async(check_route),
        "assets.routes": sync_to_async(served_routes),
    }


def apply_script_effects(invocation, effects: list[dict]) -> None:
    """Apply upserts and deletes in order, inside the invocation's transaction.

    Asset routes a handler registered (assets.route) are stored by
    assets_app.routes.routes_later.
    """
    routes = [e.get("data") or {} for e in effects if e.get("kind") == "assets.route"]
    if routes:
        from assets_app.routes import routes_later

        routes_later(invocation, routes)
    effects = [e for e in effects if e.get("kind") != "assets.route"]
    if not effects:
        return
    granted = capabilities_of(invocation.script_id)
    changes = []
    for effect in effects:
        capability, call = NEEDS.get(effect.get("kind"), (None, None))
        if capability is None:
            raise EffectRejected(f"Unknown asset effect {effect.get('kind')!r}")
        if capability not in granted:
            raise EffectRejected(capability_message(capability, call))
        data = effect.get("data") or {}
        try:
            name = rules.check_name(data.get("name"))
            if call == "upsertAsset":
                content = rules.decode(data.get("content"))
                rules.check(name, content, data.get("mimetype"))
                changes.append((name, content, data["mimetype"]))
            else:
                changes.append((name, None, None))
        except rules.AssetInvalid as exc:
            raise EffectRejected(f"assetStorage.{call}: {exc}") from None
    _check_reads(invocation, {name for name, _, _ in changes})
    try:
        for name, content, mimetype in changes:
            if content is None:
                repository.delete(invocation.tenant, name)
            else:
                repository.put(invocation.tenant, name, content, mimetype)
    except IntegrityError:
        # Another invocation created the same asset meanwhile.
        names = sorted({name for name, _, _ in changes})
        raise EffectConflict("asset created concurrently", _locks(names)) from None


def _check_reads(invocation, names: set[str]) -> None:
    reads = invocation.notes.get("assets.read", {})
    watched = names & set(reads)
    if not watched:
        return
    current = dict(
        Asset.objects.select_for_update()
        .filter(tenant=invocation.tenant, name__in=watched)
        .values_list("name", "version")
    )
    changed = sorted(n for n in watched if current.get(n, 0) != reads[n])
    if changed:
        raise EffectConflict(f"asset {changed[0]!r} changed", _locks(changed))


def _locks(names) -> list[str]:
    """The contention locks of assets (scripts_app.contention)."""
    return [f"assets:{name}" for name in names]
