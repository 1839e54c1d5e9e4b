"""The host side of `fetch` and `http.*`: options checked, secrets filled in, sent.

Secret values are put into the URL (percent-encoded), header values and body
here, on the server, and only for hosts each secret is bound to: every hop,
redirects included, is checked before anything leaves. The values and their
common encodings (secrets_app.redaction) are redacted from everything that goes
back to the script (the response's body, headers and URL, and every error
message), so they never reach its logs or execution records either.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from urllib.parse import quote, urlsplit

from asgiref.sync import sync_to_async

from core.conf import limits_for, scripts_setting
from engine import HostError
from secrets_app.addresses import allowances
from secrets_app.destinations import allows
from secrets_app.models import SecretUnreadable, values_of
from secrets_app.outbound import FetchError, Outbound, Policy, send
from secrets_app.redaction import Redactor, redactor_for

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
# Bodies longer than this are redacted off the event loop's thread.
REDACT_INLINE_CHARS = 256 * 1024


class Bound:
    """The secrets one fetch uses: their values, where each may go, the redactor."""

    def __init__(self):
        self.values: dict[str, str] = {}
        self.hosts: dict[str, list[str]] = {}
        self.redactor: Redactor = redactor_for({})
        # Where the script named each secret, so a hop's check needs no scan
        # of the body: the URL (as first sent), header names, the body.
        self.first_url = ""
        self.in_url: set[str] = set()
        self.in_headers: dict[str, set[str]] = {}
        self.in_body: set[str] = set()

    def add(self, found: dict[str, tuple[str, list[str]]]) -> None:
        for identifier, (value, hosts) in found.items():
            self.values[identifier] = value
            self.hosts[identifier] = hosts
        self.redactor = redactor_for(self.values)

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)

    def guard(self, host: str, *, url: str, headers, body) -> None:
        """Refuse a hop to `host` if it carries a secret not bound to that host."""
        if not self.values:
            return
        # A redirect's URL may hold a value (an allowed host echoing it into
        # Location): that URL is looked through; the rest is known by place.
        carried = self.redactor.found(url)
        if url == self.first_url:
            carried |= self.in_url
        for name, _ in headers:
            carried |= self.in_headers.get(name.lower(), set())
        if body is not None:
            carried |= self.in_body
        for identifier in sorted(carried):
            hosts = self.hosts[identifier]
            if not allows(hosts, host):
                may = ", ".join(hosts) if hosts else "no host yet"
                raise FetchError(
                    f"fetch refused: secret '{identifier}' may not be sent to "
                    f"{host} (it may go to: {may}); an owner can add the host "
                    f"in the admin (Secrets) or with PATCH /system/api/secrets/{identifier}"
                )


def script_ops(invocation) -> dict:
    """Return the fetch op bound to this invocation's tenant and deadline."""
    seconds, _ = limits_for(invocation.kind)
    # Counted from when the attempt started, as the engine counts its own limit.
    deadline = invocation.started + seconds

    async def fetch(url, options=None):
        secrets = Bound()

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
            raise HostError(secrets.redact(exc.message), "FetchError") from None
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
            secrets.redact(urlsplit(response["url"]).hostname or ""),
            response["status"],
            invocation.tenant.slug,
            invocation.script_name,
        )
        return await _redacted(response, secrets)

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
    body = options.get("body")
    if body is not None and not isinstance(body, str):
        raise FetchError("fetch: body must be a string (JSON.stringify objects)")
    secrets.in_url = set(TEMPLATE.findall(url))
    secrets.in_body = set(TEMPLATE.findall(body)) if body is not None else set()
    for name, value in headers:
        named = secrets.in_headers.setdefault(name.lower(), set())
        named |= set(TEMPLATE.findall(value))
    wanted |= secrets.in_url | secrets.in_body
    if wanted:
        secrets.add(await _load(invocation.tenant, wanted))
        values = secrets.values
        url = TEMPLATE.sub(lambda m: quote(values[m.group(1)], safe=""), url)
        headers = [
            (k, TEMPLATE.sub(lambda m: values[m.group(1)], v)) for k, v in headers
        ]
        if body is not None:
            body = TEMPLATE.sub(lambda m: values[m.group(1)], body)
    secrets.first_url = url
    timeout = _timeout(options.get("timeout_ms"), deadline)
    request = Outbound(
        method,
        url,
        headers,
        body.encode() if body is not None else None,
        secret_headers,
        guard=secrets.guard,
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


async def _load(tenant, wanted: set[str]) -> dict[str, tuple[str, list[str]]]:
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
            "(Secrets) or with PUT /system/api/secrets/" + missing[0]
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


async def _redacted(response: dict, secrets: Bound) -> dict:
    if not secrets.values:
        return response
    redact = secrets.redact
    body = response["body"]
    if len(body) > REDACT_INLINE_CHARS:
        # One regex pass over megabytes takes a while: keep the loop serving.
        body = await asyncio.to_thread(redact, body)
    else:
        body = redact(body)
    headers: dict[str, str] = {}
    for name, value in response["headers"].items():
        name, value = redact(name), redact(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {
        **response,
        "body": body,
        "url": redact(response["url"]),
        "statusText": redact(response["statusText"]),
        "headers": headers,
    }
