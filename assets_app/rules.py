"""The seed's asset rules and messages, shared by scripts, REST and admin.

assets_app/script_api.js applies the same rules in JS so a script gets its
error string at once; these are the ones the server enforces.
"""

from __future__ import annotations

import base64
import binascii
import re

MAX_BYTES = 10 * 1024 * 1024
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
MIMETYPE = re.compile(
    rf"^{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\r\n]*\"))*$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AssetInvalid(ValueError):
    """An asset that breaks a rule; str() is the message a script sees."""


def name_problem(name) -> str | None:
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        return "Error: asset name must be 1-255 characters"
    if ".." in name or "\\" in name:
        return "Error: asset name must not contain '..' or '\\'"
    if _CONTROL.search(name):
        return "Error: asset name must not contain control characters"
    return None


def mimetype_problem(mimetype) -> str | None:
    if (
        not isinstance(mimetype, str)
        or len(mimetype) > 255
        or not MIMETYPE.match(mimetype)
    ):
        return "Error: mimetype must be a MIME type such as image/png or text/css"
    return None


def size_problem(size: int) -> str | None:
    if size > MAX_BYTES:
        return f"Error: asset is {size} bytes; the limit is {MAX_BYTES} bytes (10 MB)"
    return None


def check_name(name) -> str:
    problem = name_problem(name)
    if problem:
        raise AssetInvalid(problem)
    return name


def check(name, content: bytes, mimetype) -> None:
    """Raise AssetInvalid unless name, content and mimetype follow the rules."""
    for problem in (
        name_problem(name),
        size_problem(len(content)),
        mimetype_problem(mimetype),
    ):
        if problem:
            raise AssetInvalid(problem)


def decode(content_b64) -> bytes:
    """Decode strict base64 (no line breaks), refusing anything else."""
    if not isinstance(content_b64, str):
        raise AssetInvalid("Error: content must be a base64 string")
    # 4 characters carry 3 bytes: refuse before decoding what cannot fit.
    if len(content_b64) > (MAX_BYTES + 2) // 3 * 4:
        raise AssetInvalid(
            f"Error: asset is over {MAX_BYTES} bytes; the limit is 10 MB"
        )
    try:
        return base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise AssetInvalid("Error: content is not valid base64") from None


def saved(name: str) -> str:
    return f"Asset '{name}' saved successfully"


def deleted(name: str) -> str:
    return f"Asset '{name}' deleted successfully"


def not_found(name: str) -> str:
    return f"Asset '{name}' not found"
