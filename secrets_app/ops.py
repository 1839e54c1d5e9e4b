"""The host side of `fetch` and `http.*`: options checked, secrets filled in, sent.

Secret values are put into header values here, on the server; they are
scrubbed from everything that goes back to the script (the response's body,
headers and URL, and every error message), so they never reach its logs or
execution records either.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async

from core.conf import limits_for, scripts_setting
from engine import HostError
from secrets_app.addresses import allowances
from secrets_app.models import SecretUnreadable, values_of
from secrets_app.outbound import FetchError, Outbound, Policy, send

log = logging.getLogger(__name__)

METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
TEMPLATE = re.compile(r"\{\{\s*secret:([A-Za-z0-9_.-]{1,128})\s*\}\}")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Set by the platform (the connection, the address checked) or meaningless here.
RESERVED_HEADERS = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
}
# Left for the script's own code to catch a timeout before its deadline does.
DEADLINE_MARGIN = 0.1


def script_ops(invocation) -> dict:
    """Return the fetch op bound to this invocation's tenant and deadline."""
    seconds, _ = limits_for(invocation.kind)
    # Counted from when the attempt started, as the engine counts its own limit.
    deadline = invocation.started + seconds

    async def fetch(url, options=None):
        secrets: dict[str, str] = {}

        def sending():
            # Once a request may have left, running the handler again could
            # repeat it: conflicts then fail the invocation instead (R5).
            invocation.irreversible = True

        try:
            request, timeout = await _prepare(
                invocation, deadline, url, options, secrets
            )
            response = await send(request, _policy(sending), timeout)
        except FetchError as exc:
            raise HostError(scrub(exc.message, secrets), "FetchError") from None
        except Exception as exc:
            # Only the type: the message of an unexpected error might quote a
            # header, and so a secret.
            log.error("fetch failed unexpectedly: %s", type(exc).__name__)
            raise HostError(
                f"fetch failed: {type(exc).__name__}", "FetchError"
            ) from None
        log.info(
            "fetch %s %s -> %s (tenant %s, script %s)",
            request.method,
            urlsplit(response["url"]).hostname,
            response["status"],
            invocation.tenant.slug,
            invocation.script_name,
        )
        return _scrubbed(response, secrets)

    return {"fetch": fetch}


def _policy(on_send) -> Policy:
    return Policy(
        allow=allowances(scripts_setting("FETCH_ALLOW")),
        max_bytes=int(scripts_setting("FETCH_MAX_BYTES")),
        on_send=on_send,
    )


async def _prepare(invocation, deadline, url, options, secrets):
    if not isinstance(url, str) or not url:
        raise FetchError("fetch: the URL must be a non-empty string")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise FetchError("fetch: options must be an object")
    method = str(options.get("method") or "GET").upper()
    if method not in METHODS:
        raise FetchError(f"fetch: unsupported method '{method}'")
    headers, secret_headers, wanted = _headers(options.get("headers"))
    if wanted:
        secrets.update(await _load(invocation.tenant, wanted))
        headers = [
            (k, TEMPLATE.sub(lambda m: secrets[m.group(1)], v)) for k, v in headers
        ]
    body = options.get("body")
    if body is not None and not isinstance(body, str):
        raise FetchError("fetch: body must be a string (JSON.stringify objects)")
    timeout = _timeout(options.get("timeout_ms"), deadline)
    request = Outbound(
        method,
        url,
        headers,
        body.encode() if body is not None else None,
        secret_headers,
    )
    return request, timeout


def _headers(given) -> tuple[list[tuple[str, str]], set[str], set[str]]:
    if given is None:
        return [], set(), set()
    if not isinstance(given, dict):
        raise FetchError("fetch: headers must be an object of names and values")
    headers, secret_headers, wanted = [], set(), set()
    for name, value in given.items():
        if not HEADER_NAME.match(name):
            raise FetchError(f"fetch: invalid header name '{name}'")
        if name.lower() in RESERVED_HEADERS:
            raise FetchError(f"fetch: the '{name}' header is set by the platform")
        if value is None:
            continue
        value = value if isinstance(value, str) else str(value)
        if any(c in value for c in "\r\n\0"):
            raise FetchError(f"fetch: header '{name}' contains a line break")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise FetchError(
                f"fetch: header '{name}' has characters outside Latin-1"
            ) from None
        found = set(TEMPLATE.findall(value))
        if found:
            wanted |= found
            secret_headers.add(name.lower())
        headers.append((name, value))
    return headers, secret_headers, wanted


async def _load(tenant, wanted: set[str]) -> dict[str, str]:
    try:
        found = await sync_to_async(values_of)(tenant, wanted)
    except SecretUnreadable as exc:
        raise FetchError(
            f"fetch: secret '{exc}' cannot be decrypted with the configured keys; "
            "set its value again"
        ) from None
    missing = sorted(wanted - set(found))
    if missing:
        raise FetchError(
            f"fetch: unknown secret '{missing[0]}'; add it in the admin "
            "(Secrets) or with PUT /api/secrets/" + missing[0]
        )
    return found


def _timeout(timeout_ms, deadline: float) -> float:
    if timeout_ms is None:
        seconds = float(scripts_setting("FETCH_TIMEOUT_SECONDS"))
    elif isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int | float):
        raise FetchError("fetch: timeout_ms must be a number of milliseconds")
    elif timeout_ms <= 0:
        raise FetchError("fetch: timeout_ms must be positive")
    else:
        seconds = timeout_ms / 1000
    left = deadline - time.monotonic() - DEADLINE_MARGIN
    if left <= 0:
        raise FetchError("fetch: no time is left in this invocation")
    return min(seconds, left)


def scrub(text: str, secrets: dict[str, str]) -> str:
    """Replace every secret value in `text` by a placeholder naming the secret."""
    for identifier, value in secrets.items():
        text = text.replace(value, f"[secret:{identifier}]")
    return text


def _scrubbed(response: dict, secrets: dict[str, str]) -> dict:
    if not secrets:
        return response
    return {
        **response,
        "body": scrub(response["body"], secrets),
        "url": scrub(response["url"], secrets),
        "statusText": scrub(response["statusText"], secrets),
        "headers": {k: scrub(v, secrets) for k, v in response["headers"].items()},
    }
