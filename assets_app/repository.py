"""Store, read and delete asset content through Django's storage API.

Everything goes through `default_storage` (local files under MEDIA_ROOT unless
a deployment configures STORAGES["default"], e.g. object storage). Writes and
deletes must run inside a transaction: old content is removed only when it
commits.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from assets_app import rules
from assets_app.models import Asset


def put(tenant, name: str, content: bytes, mimetype: str) -> tuple[Asset, bool]:
    """Create or replace an asset; return (asset, created). Raise AssetInvalid."""
    rules.check(name, content, mimetype)
    key = default_storage.save(
        f"assets/{tenant.id}/{uuid.uuid4().hex}", ContentFile(content)
    )
    asset = Asset.objects.select_for_update().filter(tenant=tenant, name=name).first()
    created = asset is None
    if created:
        asset = Asset(tenant=tenant, name=name, version=0)
    else:
        _remove_on_commit(asset.storage_key)
    asset.mimetype = mimetype
    asset.size = len(content)
    asset.sha256 = hashlib.sha256(content).hexdigest()
    asset.storage_key = key
    asset.version += 1
    asset.save()
    return asset, created


def delete(tenant, name: str) -> bool:
    """Delete an asset; return False if there was none."""
    asset = Asset.objects.select_for_update().filter(tenant=tenant, name=name).first()
    if asset is None:
        return False
    asset.delete()
    _remove_on_commit(asset.storage_key)
    return True


def read(asset: Asset, start: int = 0, length: int | None = None) -> bytes:
    """Return the asset's bytes, or `length` of them from `start`."""
    with default_storage.open(asset.storage_key, "rb") as f:
        if start:
            f.seek(start)
        return f.read() if length is None else f.read(length)


def _remove_on_commit(key: str) -> None:
    transaction.on_commit(lambda: default_storage.delete(key))
