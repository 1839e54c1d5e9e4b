"""Serve an asset route: content type, ETag, Last-Modified, 304 and Range.

Called by scripts_app.serving for both the ASGI fast path and Django's catch-all, so an
asset answers the same whichever served it.
"""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async
from django.utils.http import http_date, parse_http_date_safe

from assets_app import repository
from assets_app.models import Asset
from scripts_app.http import HttpCall, HttpReply

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.I)
UNSATISFIABLE = "unsatisfiable"


async def serve_asset(call: HttpCall, target) -> HttpReply:
    asset = await Asset.objects.filter(
        tenant=call.tenant, name=target.resource
    ).afirst()
    if asset is None:
        return HttpReply.error(
            404,
            "asset_not_found",
            f"{target.pattern} serves asset '{target.resource}', which is not in "
            "this tenant's assets; upload it first.",
            call.request_id,
        )
    modified = int(asset.updated_at.timestamp())
    headers = [
        ("Content-Type", asset.mimetype),
        ("ETag", asset.etag),
        ("Last-Modified", http_date(modified)),
        ("Accept-Ranges", "bytes"),
        # Stored but always revalidated: an asset can change at any time.
        ("Cache-Control", "no-cache"),
    ]
    if not_modified(call.headers, asset.etag, modified):
        return HttpReply(304, headers)
    wanted = None
    if "range" in call.headers and if_range_holds(call.headers, asset.etag, modified):
        wanted = byte_range(call.headers["range"], asset.size)
    if wanted == UNSATISFIABLE:
        return HttpReply.error(
            416,
            "range_not_satisfiable",
            f"{target.pattern} is {asset.size} bytes long; the requested range "
            "is outside it.",
            call.request_id,
            headers=[*headers[1:], ("Content-Range", f"bytes */{asset.size}")],
        )
    if wanted is None:
        body = await sync_to_async(repository.read)(asset)
        return HttpReply(200, headers, body)
    start, end = wanted
    body = await sync_to_async(repository.read)(asset, start, end - start + 1)
    headers.append(("Content-Range", f"bytes {start}-{end}/{asset.size}"))
    return HttpReply(206, headers, body)


def _tags(value: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in value.split(",") if t.strip()]


def not_modified(headers: dict, etag: str, modified: int) -> bool:
    """Apply If-None-Match, else If-Modified-Since (RFC 9110 section 13.2.2)."""
    if "if-none-match" in headers:
        tags = _tags(headers["if-none-match"])
        return "*" in tags or etag in tags
    since = parse_http_date_safe(headers.get("if-modified-since", ""))
    return since is not None and modified <= since


def if_range_holds(headers: dict, etag: str, modified: int) -> bool:
    """Return True unless an If-Range names another version (then send it all)."""
    value = headers.get("if-range", "").strip()
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return value == etag  # If-Range needs a strong match
    return parse_http_date_safe(value) == modified


def byte_range(header: str, size: int):
    """Return (first, last) byte, UNSATISFIABLE, or None to send everything.

    One range is served; a malformed header or several ranges get the whole
    asset (200), which RFC 9110 allows.
    """
    match = _RANGE.match(header)
    if not match or not (match[1] or match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = int(match[2]) if match[2] else size - 1
        if match[2] and last < first:
            return None
        if first >= size:
            return UNSATISFIABLE
        return first, min(last, size - 1)
    suffix = int(match[2])
    if suffix == 0 or size == 0:
        return UNSATISFIABLE
    return max(0, size - suffix), size - 1
