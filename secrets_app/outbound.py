"""Send one script's HTTP request to the public internet, and only there.

The host is resolved once and every address it resolves to is checked; the
connection then goes to that checked address (the URL's name travels in the
Host header and TLS SNI, and the certificate is verified for it), so a DNS
answer that changes between check and connect cannot redirect the request.
Redirects are followed here, at most MAX_REDIRECTS, each one checked again,
and each hop's host is shown to the request's `guard` (which refuses a secret
bound to other hosts) before its name is even resolved.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
import idna

from secrets_app.addresses import (
    Allowance,
    BadHost,
    IPAddress,
    connectable,
    name_refusal,
    parse_host,
    refusal,
)

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
DEFAULT_PORTS = {"http": 80, "https": 443}
# Headers that must not follow a redirect to another origin.
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}
USER_AGENT = "scripthost-fetch/1"

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
# guard(host, url=, headers=, body=): raise FetchError if this hop may not go.
Guard = Callable[..., None]


def _no_guard(host, **request) -> None:
    return None


class FetchError(Exception):
    """A request the platform refused or could not complete; the script sees it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


async def resolve(name: str, port: int) -> list[IPAddress]:
    """Return every address `name` resolves to (the system resolver)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"fetch failed: cannot resolve host '{name}'") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


@dataclass
class Outbound:
    """One request as the script asked for it, secrets already filled in."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None = None
    # Names of headers that carry a secret: never sent to another origin.
    secret_headers: set[str] = field(default_factory=set)
    # Called for every hop, redirects too, with the host (as
    # destinations.host_of gives it) and the request as it would leave.
    guard: Guard = _no_guard


@dataclass
class Policy:
    allow: list[Allowance]
    max_bytes: int
    resolver: Resolver = resolve
    # Called just before any byte leaves for a checked address.
    on_send: Callable[[], None] = lambda: None


@dataclass
class Target:
    scheme: str
    name: str  # the host as written (IDNA-encoded), for Host and SNI
    ip: IPAddress
    port: int
    path: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.name, self.port)

    def request(self, method, headers, body) -> httpx.Request:
        ip = connectable(self.ip)
        netloc = f"[{ip}]" if ip.version == 6 else str(ip)
        default = DEFAULT_PORTS[self.scheme] == self.port
        host = f"[{self.name}]" if ":" in self.name else self.name
        headers = [("Host", host if default else f"{host}:{self.port}"), *headers]
        if not any(k.lower() == "user-agent" for k, _ in headers):
            headers.append(("User-Agent", USER_AGENT))
        extensions = {}
        if self.scheme == "https" and not _is_ip(self.name):
            extensions["sni_hostname"] = self.name  # and the certificate check
        return httpx.Request(
            method,
            f"{self.scheme}://{netloc}:{self.port}{self.path}",
            headers=headers,
            content=body,
            extensions=extensions,
        )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


async def target_of(
    url: str, policy: Policy, guard: Callable[[str], None] = lambda host: None
) -> Target:
    """Check a URL and pick the one address the request will go to.

    `guard` sees the host before anything, its name's resolution included,
    leaves the machine.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"fetch refused: invalid URL '{url}' ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = f"'{scheme}:'" if scheme else "a URL without one"
        raise FetchError(f"fetch refused: only http and https URLs, not {shown}")
    if parts.username is not None or parts.password is not None:
        raise FetchError(
            "fetch refused: credentials in the URL are not supported; "
            "send an Authorization header instead"
        )
    port = port or DEFAULT_PORTS[scheme]
    try:
        host = parse_host(parts.hostname or "")
        if isinstance(host, str):
            host = idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except (BadHost, idna.IDNAError) as exc:
        raise FetchError(f"fetch refused: invalid host in '{url}' ({exc})") from None
    guard(str(host))
    if isinstance(host, str):
        why = name_refusal(host)
        if why:
            raise FetchError(f"fetch refused: {why}")
        addresses = await policy.resolver(host, port)
        name = host
    else:
        addresses, name = [host], str(host)
    if not addresses:
        raise FetchError(f"fetch failed: host '{name}' has no address")
    for ip in addresses:
        if any(a.admits(connectable(ip), port) for a in policy.allow):
            continue
        why = refusal(ip)
        if why:
            said = f"{name} is" if str(ip) == name else f"{name} resolves to {ip},"
            raise FetchError(f"fetch refused: {said} {why}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, name, addresses[0], port, path)


async def send(request: Outbound, policy: Policy, timeout: float) -> dict:
    """Perform the request (following redirects); return the response as plain data."""
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(request, policy)
    except TimeoutError:
        raise FetchError(
            f"fetch failed: no complete response within {timeout * 1000:.0f} ms"
        ) from None


async def _exchange(request: Outbound, policy: Policy) -> dict:
    method, url, body = request.method, request.url, request.body
    headers = list(request.headers)
    # A new client per call: pooled connections are keyed by address, and the
    # next call to the same address may be for another name.
    async with httpx.AsyncClient(trust_env=False, timeout=None) as client:
        for hop in range(MAX_REDIRECTS + 1):
            guard = functools.partial(
                request.guard, url=url, headers=headers, body=body
            )
            target = await target_of(url, policy, guard)
            policy.on_send()
            try:
                response = await client.send(
                    target.request(method, headers, body), stream=True
                )
            except httpx.HTTPError as exc:
                raise FetchError(f"fetch failed: {target.name}: {exc}") from None
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    if hop == MAX_REDIRECTS:
                        raise FetchError(
                            f"fetch failed: more than {MAX_REDIRECTS} redirects"
                        )
                    url = urljoin(url, location)
                    method, body, headers = _redirected(
                        response.status_code, method, body, headers
                    )
                    if (await _peek_origin(url)) != target.origin:
                        headers = [
                            (k, v)
                            for k, v in headers
                            if k.lower() not in CREDENTIAL_HEADERS
                            and k.lower() not in request.secret_headers
                        ]
                    continue
                content = await _read(response, policy.max_bytes)
            finally:
                await response.aclose()
            return {
                "status": response.status_code,
                "ok": 200 <= response.status_code < 300,
                "statusText": response.reason_phrase,
                "headers": _headers(response),
                "body": _decode(content, response),
                "url": url,
                "redirected": hop > 0,
            }
    raise AssertionError("unreachable")  # pragma: no cover


async def _peek_origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = 0
    host = parts.hostname or ""
    try:
        parsed = parse_host(host)
        host = str(parsed) if not isinstance(parsed, str) else host.rstrip(".")
    except BadHost:
        pass
    return (scheme, host, port)


def _redirected(status, method, body, headers):
    """Apply browsers' rules: 303, and 301/302 after POST, become a bodiless GET."""
    if (status == 303 and method != "HEAD") or (
        status in (301, 302) and method == "POST"
    ):
        dropped = {"content-type", "content-length", "content-encoding"}
        headers = [(k, v) for k, v in headers if k.lower() not in dropped]
        return "GET", None, headers
    return method, body, headers


async def _read(response: httpx.Response, limit: int) -> bytes:
    chunks, total = [], 0
    # Decoded bytes are counted, so a compressed bomb stops at the limit too.
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > limit:
            mb, rest = divmod(limit, 1024 * 1024)
            size = f"{mb} MB" if mb and not rest else f"{limit} bytes"
            raise FetchError(
                f"fetch failed: the response body is larger than {size} and was cut off"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(response: httpx.Response) -> dict:
    headers: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _decode(content: bytes, response: httpx.Response) -> str:
    try:
        return content.decode(response.charset_encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", "replace")
